package io.github.geneve4j.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every public type and member of every library module has a documentation comment. */
class ApiDocumentationTest {

    @ParameterizedTest
    @ValueSource(strings = {"geneve-codec", "geneve-options", "geneve-pcap", "geneve-endpoint", "geneve-linux",
        "geneve-netty"})
    void everyExportedPublicMemberIsDocumented(String module) throws IOException {
        Path sources = ReadmeExample.findUp(module + "/src/main/java");
        assertThat(JavadocCoverage.undocumented(sources)).as(module + ": public API without a comment").isEmpty();
    }

    @Test
    void everyExportedPackageHasAPackageInfo() throws IOException {
        for (String module : List.of("geneve-codec", "geneve-options", "geneve-pcap", "geneve-endpoint",
                "geneve-linux", "geneve-netty")) {
            Path sources = ReadmeExample.findUp(module + "/src/main/java");
            for (String pkg : JavadocCoverage.exportedPackages(sources)) {
                assertThat(sources.resolve(pkg.replace('.', '/')).resolve("package-info.java"))
                        .as(module + " exports " + pkg).exists();
            }
        }
    }

    /** The check finds what it should: so an empty answer above means something. */
    @Test
    void findsUndocumentedMembers(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("a/api"));
        Files.createDirectories(dir.resolve("a/internal"));
        Files.writeString(dir.resolve("module-info.java"), "module a { exports a.api; exports a.internal to b; }");
        Files.writeString(dir.resolve("a/api/Thing.java"), """
                package a.api;
                /** Documented. */
                public class Thing {
                    public static final int NO_COMMENT = 1;
                    /** Documented. */
                    public int documented() { return 1; }
                    public int bare() { return 2; }
                    int packagePrivate() { return 3; }
                    @Override public String toString() { return ""; }
                    /** Documented. */
                    public interface Inner { void implicitlyPublic(); }
                    /** Documented: the compact constructor needs no comment of its own, a canonical one does. */
                    public record Pair(int a) { public Pair { } }
                    /** Documented. */
                    public record Other(int a) { public Other(int a) { this.a = a; } }
                    private static class Hidden { public void notApi() { } }
                }
                """);
        Files.writeString(dir.resolve("a/api/Colour.java"), """
                package a.api;
                /** Documented. */
                public enum Colour { RED, /** Documented. */ GREEN }
                """);
        Files.writeString(dir.resolve("a/internal/Other.java"), "package a.internal; public class Other { public void x() { } }");
        assertThat(JavadocCoverage.undocumented(dir)).map(s -> s.substring(s.lastIndexOf(": ") + 2))
                .containsExactlyInAnyOrder("Thing() (implicit default constructor)", "NO_COMMENT", "bare()",
                        "implicitlyPublic()", "constructor", "RED");
    }
}
