package io.github.geneve4j.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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

    @Test
    void theReadmeExampleRunsAsAModuleOnTheModulePath(@TempDir Path dir) throws Exception {
        String example = ReadmeExample.javaBlock("endpoint");
        assertThat(example.strip().lines().count()).as("lines of the README example").isLessThanOrEqualTo(30);
        assertThat(example).as("a handler answers through the frame").contains("frame.reply(");
        assertThat(example).contains("import io.github.geneve4j.endpoint.GeneveEndpoint;");
        // the library modules: this module's classes and the jars (or class folders) of codec and options
        List<String> modulePath = ReadmeExample.modulePath(e -> ReadmeExample.isModule(e, "geneve-codec")
                || ReadmeExample.isModule(e, "geneve-options") || ReadmeExample.isModule(e, "geneve-endpoint"));
        assertThat(modulePath).hasSize(3);
        Path classes = ReadmeExample.compileAsModule(dir, "io.github.geneve4j.endpoint", "EmbeddedEndpoint", example,
                modulePath);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process run = new ProcessBuilder(java, "--module-path",
                classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "-m", "example/example.EmbeddedEndpoint").redirectErrorStream(true).start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the example ends by itself").isTrue();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(output).isZero();
        List<String> lines = output.lines().collect(Collectors.toList());
        assertThat(lines).as(output).hasSize(3);
        assertThat(lines.get(0)).matches("right got 60 bytes from 127\\.0\\.0\\.1:\\d+");
        assertThat(lines.get(1)).matches("left got 60 bytes back from 127\\.0\\.0\\.2:\\d+");
        assertThat(lines.get(2)).startsWith("stats: handler->tunnel 1 packets 60 bytes, tunnel->handler 1 packets 60 bytes,")
                .endsWith("udp 1 sends 1 receives, drops {}");
    }
}
