package io.github.geneve4j.options;

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
 * The README's decapsulation and typed-option examples, taken from the README as it stands, each
 * compiled as the main class of a module of its own against the library modules and run in a JVM of
 * its own.
 */
@Timeout(120)
class ReadmeTypedOptionsExampleTest {

    private static List<String> run(Path dir, String name, String className) throws Exception {
        String example = ReadmeExample.javaBlock(name);
        List<String> modulePath = ReadmeExample.modulePath(e -> ReadmeExample.isModule(e, "geneve-codec")
                || ReadmeExample.isModule(e, "geneve-options"));
        assertThat(modulePath).hasSize(2);
        Path classes = ReadmeExample.compileAsModule(dir, "io.github.geneve4j.options", className, example, modulePath);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process run = new ProcessBuilder(java, "--module-path",
                classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "-m", "example/example." + className).redirectErrorStream(true).start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(output).isZero();
        return output.lines().toList();
    }

    @Test
    void decapsulationExampleReadsThePaddedFrame(@TempDir Path dir) throws Exception {
        assertThat(run(dir, "decapsulate", "Decapsulate")).containsExactly("VNI 5000, inner frame of 2 bytes");
    }

    @Test
    void typedOptionsExampleReadsTheCookieAndThePortKeys(@TempDir Path dir) throws Exception {
        assertThat(run(dir, "typed-options", "TypedReads"))
                .containsExactly("cookie 0x12345678 true", "OVN ports 7 -> 9");
    }
}
