package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.nio.file.Path;
import java.util.List;
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
        String example = ReadmeExample.javaBlock("tap");
        assertThat(example.strip().lines().count()).isLessThanOrEqualTo(30);
        List<String> modulePath = ReadmeExample.modulePath(e -> ReadmeExample.isModule(e, "geneve-codec")
                || ReadmeExample.isModule(e, "geneve-options") || ReadmeExample.isModule(e, "geneve-endpoint")
                || ReadmeExample.isModule(e, "geneve-linux"));
        assertThat(modulePath).hasSize(4);
        Path classes = ReadmeExample.compileAsModule(dir, "io.github.geneve4j.linux", "TapEndpoint", example, modulePath);
        assertThat(classes.resolve("example/TapEndpoint.class")).exists();
    }
}
