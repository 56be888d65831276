package io.github.geneve4j.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Golden vectors from a test resource: blocks of {@code key: value} lines separated by blank lines,
 * {@code #} comments. Every block has at least {@code name}, {@code source} and {@code hex}.
 */
public final class Vectors {

    private Vectors() {
    }

    /** One vector: its fields in file order. */
    public record Vector(Map<String, String> fields) {

        public String name() {
            return fields.get("name");
        }

        public String get(String key) {
            return fields.get(key);
        }

        public byte[] bytes() {
            return Hex.bytes(fields.getOrDefault("hex", ""));
        }

        public boolean has(String key) {
            return fields.containsKey(key);
        }

        @Override
        public String toString() {
            return name();
        }
    }

    public static List<Vector> load(String resource) {
        try (InputStream in = Vectors.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            List<Vector> vectors = new ArrayList<>();
            Map<String, String> current = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
                if (line.startsWith("#")) {
                    continue;
                }
                if (line.isBlank()) {
                    add(vectors, current, resource);
                    current = new LinkedHashMap<>();
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException(resource + ": not 'key: value': " + line);
                }
                current.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
            add(vectors, current, resource);
            return vectors;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void add(List<Vector> vectors, Map<String, String> fields, String resource) {
        if (fields.isEmpty()) {
            return;
        }
        for (String required : List.of("name", "source", "hex")) {
            if (!fields.containsKey(required)) {
                throw new IllegalArgumentException(resource + ": vector " + fields + " lacks '" + required + "'");
            }
        }
        vectors.add(new Vector(Map.copyOf(fields)));
    }
}
