package io.github.geneve4j.gwlb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's GWLB appliance example, taken from the README as it stands, compiled as the main class
 * of a module of its own ({@code requires io.github.geneve4j.gwlb}) and run in a JVM of its own.
 */
@Timeout(120)
class GwlbExampleTest {

    @Test
    void theReadmeExampleRunsAsAModule(@TempDir Path dir) throws Exception {
        String example = ReadmeExample.javaBlock("gwlb");
        assertThat(example).contains("import io.github.geneve4j.gwlb.GwlbAppliance;");
        List<String> modulePath = ReadmeExample.modulePath(e -> ReadmeExample.isModule(e, "geneve-codec")
                || ReadmeExample.isModule(e, "geneve-options") || ReadmeExample.isModule(e, "geneve-endpoint")
                || ReadmeExample.isModule(e, "geneve-gwlb"));
        assertThat(modulePath).hasSize(4);
        Path classes = ReadmeExample.compileAsModule(dir, "io.github.geneve4j.gwlb", "GwlbExample", example, modulePath);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process run = new ProcessBuilder(java, "--module-path",
                classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "-m", "example/example.GwlbExample").redirectErrorStream(true).start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the example ends by itself").isTrue();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(output).isZero();
        assertThat(output.lines().toList()).as(output).containsExactly("reply of 60 bytes, as sent: true",
                "gwlb: received 1, forwarded 1, dropped 0, flows tcp 0 other 1 (created 1, expired 0), endpoints 1,"
                        + " threads 1/1, healthy");
    }
}
