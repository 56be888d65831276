package io.github.geneve4j.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Embedding an endpoint" example, taken from the README as it stands, compiled as the
 * main class of a small module of its own ({@code requires io.github.geneve4j.endpoint}) against the
 * library modules on the module path, and run in a JVM of its own: a JPMS consumer and a check that
 * the README's code works exactly as written.
 */
@Timeout(120)
class EmbeddingExampleTest {

    static String readmeExample() throws Exception {
        String readme = Files.readString(findUp("README.md"));
        String begin = "<!-- readme-example endpoint: begin";
        int from = readme.indexOf(begin);
        int to = readme.indexOf("<!-- readme-example endpoint: end", from);
        assertThat(from).as("README marker").isNotNegative();
        assertThat(to).as("README marker").isGreaterThan(from);
        String block = readme.substring(from, to);
        return block.substring(block.indexOf("```java") + 7, block.lastIndexOf("```"));
    }

    @Test
    void theReadmeExampleRunsAsAModuleOnTheModulePath(@TempDir Path dir) throws Exception {
        String example = readmeExample();
        assertThat(example.strip().lines().count()).as("lines of the README example").isLessThanOrEqualTo(30);
        assertThat(example).contains("import io.github.geneve4j.endpoint.GeneveEndpoint;");
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), "module example { requires io.github.geneve4j.endpoint; }\n");
        Files.writeString(src.resolve("example/EmbeddedEndpoint.java"), "package example;\n" + example);
        // the library modules: this module's classes and the jars (or class folders) of codec and options
        List<String> modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> (e.contains("geneve-codec") || e.contains("geneve-options")
                        || e.replace('\\', '/').endsWith("geneve-endpoint/target/classes"))
                        && !e.contains("test"))
                .toList();
        assertThat(modulePath).hasSize(3);
        Path classes = dir.resolve("classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modulePath), src.resolve("module-info.java").toString(),
                src.resolve("example/EmbeddedEndpoint.java").toString()));
        assertThat(javac.run(null, null, null, args.toArray(String[]::new))).as("javac exit code").isZero();

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process run = new ProcessBuilder(java, "--module-path",
                classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "-m", "example/example.EmbeddedEndpoint").redirectErrorStream(true).start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the example ends by itself").isTrue();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(output).isZero();
        List<String> lines = output.lines().collect(Collectors.toList());
        assertThat(lines).as(output).hasSize(2);
        assertThat(lines.get(0)).matches("right got 60 bytes from 127\\.0\\.0\\.1:\\d+");
        assertThat(lines.get(1)).startsWith("stats: tap->tunnel 0 packets 0 bytes, tunnel->tap 1 packets 60 bytes,")
                .endsWith("udp 0 sends 1 receives, drops {}");
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
        throw new AssertionError("cannot find " + relative + " above " + Path.of("").toAbsolutePath());
    }
}
