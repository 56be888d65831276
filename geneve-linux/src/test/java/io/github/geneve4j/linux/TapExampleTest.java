package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's TAP example, as the README has it, compiled as the main class of a module of its own
 * ({@code requires io.github.geneve4j.linux}) against the library modules: it needs root, a TAP and a
 * peer to run, which {@code geneve vtep}'s tests (the same engine, device and socket) do.
 */
class TapExampleTest {

    @Test
    void theReadmeTapExampleCompilesAsAModule(@TempDir Path dir) throws Exception {
        String readme = Files.readString(findUp("README.md"));
        int from = readme.indexOf("<!-- readme-example tap: begin");
        int to = readme.indexOf("<!-- readme-example tap: end", from);
        assertThat(from).as("README marker").isNotNegative();
        assertThat(to).isGreaterThan(from);
        String block = readme.substring(from, to);
        String example = block.substring(block.indexOf("```java") + 7, block.lastIndexOf("```"));
        assertThat(example.strip().lines().count()).isLessThanOrEqualTo(30);
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), "module example { requires io.github.geneve4j.linux; }\n");
        Files.writeString(src.resolve("example/TapEndpoint.java"), "package example;\n" + example);
        List<String> modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> (e.contains("geneve-codec") || e.contains("geneve-options") || e.contains("geneve-endpoint")
                        || e.replace('\\', '/').endsWith("geneve-linux/target/classes")) && !e.contains("test"))
                .toList();
        assertThat(modulePath).hasSize(4);
        int code = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-Xlint:all", "-Werror",
                "-d", dir.resolve("classes").toString(), "--module-path", String.join(File.pathSeparator, modulePath),
                src.resolve("module-info.java").toString(), src.resolve("example/TapEndpoint.java").toString());
        assertThat(code).as("javac exit code").isZero();
        assertThat(dir.resolve("classes/example/TapEndpoint.class")).exists();
    }

    static Path findUp(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("cannot find " + relative);
    }
}
