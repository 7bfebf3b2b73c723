package org.safenet.dns.resolver;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md §2-3 made mechanical: the resolver depends on no other SafeNet module, and the hot-path
 * packages use neither dnsjava (cold path only) nor streams (allocation per call).
 */
class ArchitectureTest {
    private static final JavaClasses RESOLVER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.safenet.dns.resolver");

    private static final String[] HOT_PATH = {
        "org.safenet.dns.resolver.wire..",
        "org.safenet.dns.resolver.pipeline..",
        "org.safenet.dns.resolver.cache..",
        "org.safenet.dns.resolver.acl..",
        "org.safenet.dns.resolver.policy..",
        "org.safenet.dns.resolver.listen..",
        "org.safenet.dns.resolver.stats..",
        "org.safenet.dns.resolver.tap.."
    };

    @Test
    void resolver_dependsOnNoOtherSafenetModule() {
        noClasses()
                .that()
                .resideInAPackage("org.safenet.dns.resolver..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.safenet.dns.blocklist..",
                        "org.safenet.dns.admin..",
                        "org.safenet.dns.appliance..",
                        "org.safenet.dns.bench..")
                .check(RESOLVER);
    }

    @Test
    void hotPath_usesNoDnsjava() {
        noClasses()
                .that()
                .resideInAnyPackage(HOT_PATH)
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.xbill.DNS..")
                .check(RESOLVER);
    }

    @Test
    void hotPath_usesNoStreams() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "org.safenet.dns.resolver.wire..",
                        "org.safenet.dns.resolver.pipeline..",
                        "org.safenet.dns.resolver.cache..",
                        "org.safenet.dns.resolver.policy..",
                        "org.safenet.dns.resolver.tap..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("java.util.stream..")
                .check(RESOLVER);
    }
}
