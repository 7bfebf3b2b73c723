package org.safenet.dns.appliance;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** DESIGN.md §2: dependencies point one way, appliance -> admin-api -> {resolver, blocklist-sync}. */
class ModuleLayeringTest {
    private static final JavaClasses ALL = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.safenet.dns");

    @Test
    void nothingBelowTheAppliance_dependsOnIt() {
        noClasses()
                .that()
                .resideOutsideOfPackage("org.safenet.dns.appliance..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.safenet.dns.appliance..")
                .check(ALL);
    }

    @Test
    void productionCode_neverUsesTheTestkit() {
        noClasses()
                .that()
                .resideOutsideOfPackage("org.safenet.dns.testkit..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.safenet.dns.testkit..")
                .check(ALL);
    }
}
