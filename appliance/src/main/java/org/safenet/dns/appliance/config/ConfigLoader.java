package org.safenet.dns.appliance.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.DurationText;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.upstream.UpstreamAddress;

/**
 * Reads the YAML config: the embedded {@code default-config.yaml}, the operator's file merged over
 * it, then command-line overrides; binds the result to {@link ApplianceConfig}. Every problem is
 * reported as {@code key.path (file line N): what is wrong}. Structural problems (duplicate keys,
 * missing values) are all reported together; binding stops at the first bad value.
 */
public final class ConfigLoader {
    public static final String DEFAULT_RESOURCE = "/default-config.yaml";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Values given on the command line; they win over the file. Empty lists mean "not given". */
    public record Overrides(
            List<String> listen,
            List<String> upstreams,
            @Nullable String dataDir) {
        public static Overrides none() {
            return new Overrides(List.of(), List.of(), null);
        }
    }

    private final ObjectMapper mapper;
    private final YAMLFactory yaml = new YAMLFactory();

    public ConfigLoader() {
        this.mapper = bindingMapper();
    }

    /**
     * The mapper that binds config values (durations, host:port, prefixes, paths from strings),
     * strictly: unknown fields, nulls for primitives and numbers for enums are errors. The admin
     * API binds profile and client bodies with it, so they obey the config file's rules; it
     * writes host:port and prefixes back as the strings they were read from.
     */
    public static ObjectMapper bindingMapper() {
        SimpleModule types = new SimpleModule("safenet-config-types")
                .addDeserializer(HostPort.class, fromString(HostPort.class, s -> HostPort.parse(s, 53)))
                .addDeserializer(CidrPrefix.class, fromString(CidrPrefix.class, CidrPrefix::parse))
                .addDeserializer(UpstreamAddress.class, fromString(UpstreamAddress.class, UpstreamAddress::parse))
                .addDeserializer(Duration.class, fromString(Duration.class, DurationText::parse))
                .addDeserializer(Path.class, fromString(Path.class, Path::of))
                .addSerializer(HostPort.class, com.fasterxml.jackson.databind.ser.std.ToStringSerializer.instance)
                .addSerializer(CidrPrefix.class, com.fasterxml.jackson.databind.ser.std.ToStringSerializer.instance);
        return new ObjectMapper()
                .registerModule(types)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
    }

    private interface Parse<T> {
        T apply(String text);
    }

    private static <T> FromStringDeserializer<T> fromString(Class<T> type, Parse<T> parse) {
        return new FromStringDeserializer<>(type) {
            @Override
            protected T _deserialize(String value, DeserializationContext ctxt) throws IOException {
                try {
                    return parse.apply(value);
                } catch (IllegalArgumentException e) {
                    throw JsonMappingException.from(ctxt, e.getMessage(), e);
                }
            }

            @Override
            protected T _deserializeFromEmptyString(DeserializationContext ctxt) throws IOException {
                throw JsonMappingException.from(ctxt, "an empty value is not allowed here");
            }
        };
    }

    /** Loads the config; {@code file} null means the embedded defaults alone. */
    public ApplianceConfig load(@Nullable Path file, Overrides overrides) throws ConfigException {
        Map<String, String> where = new HashMap<>();
        List<String> problems = new ArrayList<>();
        ObjectNode merged = defaults();
        if (file != null) {
            String source = file.toString();
            try (InputStream in = Files.newInputStream(file)) {
                JsonNode user = readTracked(in, source, where, problems);
                if (user != null && !user.isNull()) {
                    if (!user.isObject()) {
                        throw new ConfigException(List.of(
                                source + ": the top level must be a mapping of sections (server:, upstream:, ...)"));
                    }
                    merge(merged, (ObjectNode) user);
                }
            } catch (NoSuchFileException e) {
                throw new ConfigException(List.of(source + ": no such file"));
            } catch (IOException e) {
                throw new ConfigException(List.of(source + ": cannot be read: " + e.getMessage()));
            }
        }
        applyOverrides(merged, overrides, where);
        findNulls(merged, "", where, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        try {
            return mapper.treeToValue(merged, ApplianceConfig.class);
        } catch (JsonMappingException e) {
            throw new ConfigException(List.of(describe(e, where)));
        } catch (JsonProcessingException e) {
            throw new ConfigException(List.of(e.getOriginalMessage()));
        }
    }

    private ObjectNode defaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULT_RESOURCE + " is missing from the jar");
            }
            return (ObjectNode) mapper.readTree(yaml.createParser(in));
        } catch (IOException e) {
            throw new IllegalStateException("embedded defaults unreadable", e);
        }
    }

    /** Reads YAML into a tree, noting each key's line in {@code where} (path -> "file line N"). */
    private @Nullable JsonNode readTracked(
            InputStream in, String source, Map<String, String> where, List<String> problems)
            throws IOException, ConfigException {
        try (JsonParser p = yaml.createParser(in)) {
            if (p.nextToken() == null) {
                return null;
            }
            return readValue(p, "", source, where, problems);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigException(List.of(
                    source + (line > 0 ? " line " + line : "") + ": not valid YAML: " + e.getOriginalMessage()));
        }
    }

    private JsonNode readValue(
            JsonParser p, String path, String source, Map<String, String> where, List<String> problems)
            throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    String child = path.isEmpty() ? name : path + "." + name;
                    String at = source + " line " + p.currentTokenLocation().getLineNr();
                    if (o.has(name)) {
                        problems.add(child + " (" + at + "): set twice; remove one");
                    }
                    where.put(child, at);
                    p.nextToken();
                    o.set(name, readValue(p, child, source, where, problems));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    String child = path + "[" + i++ + "]";
                    where.put(
                            child, source + " line " + p.currentTokenLocation().getLineNr());
                    a.add(readValue(p, child, source, where, problems));
                }
                return a;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return NODES.numberNode(p.getLongValue());
            }
            case VALUE_NUMBER_FLOAT -> {
                return NODES.numberNode(p.getDecimalValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return NODES.booleanNode(p.getBooleanValue());
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> throw new IOException("unexpected YAML token " + t + " at " + path);
        }
    }

    /** Objects merge key by key; anything else (lists included) replaces the default. */
    private static void merge(ObjectNode target, ObjectNode source) {
        Iterator<Map.Entry<String, JsonNode>> it = source.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode existing = target.get(e.getKey());
            if (existing instanceof ObjectNode eo && e.getValue() instanceof ObjectNode so) {
                merge(eo, so);
            } else {
                target.set(e.getKey(), e.getValue());
            }
        }
    }

    private static void applyOverrides(ObjectNode root, Overrides o, Map<String, String> where) {
        if (!o.listen().isEmpty()) {
            ArrayNode a = root.withObjectProperty("server").putArray("listen");
            o.listen().forEach(a::add);
            for (int i = 0; i < o.listen().size(); i++) {
                where.put("server.listen[" + i + "]", "--listen");
            }
        }
        if (!o.upstreams().isEmpty()) {
            ArrayNode a = root.withObjectProperty("upstream").putArray("servers");
            o.upstreams().forEach(a::add);
            for (int i = 0; i < o.upstreams().size(); i++) {
                where.put("upstream.servers[" + i + "]", "--upstream");
            }
        }
        if (o.dataDir() != null) {
            root.put("dataDir", o.dataDir());
            where.put("dataDir", "--data-dir");
        }
    }

    private static void findNulls(JsonNode node, String path, Map<String, String> where, List<String> problems) {
        if (node.isNull()) {
            problems.add(path + at(path, where) + ": a value is required");
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                findNulls(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), where, problems);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                findNulls(node.get(i), path + "[" + i + "]", where, problems);
            }
        }
    }

    private static String describe(JsonMappingException e, Map<String, String> where) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        String key = path.toString();
        String reason;
        if (e instanceof UnrecognizedPropertyException u) {
            reason = "unknown key; known keys here: " + u.getKnownPropertyIds();
        } else {
            // Our own validation speaks the operator's language: use the outermost such message.
            Throwable ours = e.getCause();
            while (ours != null
                    && !(ours instanceof IllegalArgumentException || ours instanceof IllegalStateException)) {
                ours = ours.getCause();
            }
            reason = ours != null ? ours.getMessage() : cleanJacksonMessage(e.getOriginalMessage());
        }
        return (key.isEmpty() ? "config" : key) + at(key, where) + ": " + reason;
    }

    private static String at(String key, Map<String, String> where) {
        String k = key;
        while (!k.isEmpty()) {
            String w = where.get(k);
            if (w != null) {
                return " (" + w + ")";
            }
            int cut = Math.max(k.lastIndexOf('.'), k.lastIndexOf('['));
            k = cut < 0 ? "" : k.substring(0, cut);
        }
        return " (default)";
    }

    private static String cleanJacksonMessage(String message) {
        // Jackson names Java types; an operator needs the YAML view.
        return message.replaceAll("`[a-zA-Z0-9_.$]+`", "this key")
                .replaceAll("\\s+", " ")
                .trim();
    }
}
