package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "With Netty" example, taken from the README as it stands, compiled as the main class
 * of a module of its own ({@code requires io.github.geneve4j.netty}) against the library and Netty's
 * modules on the module path, and run in a JVM of its own: a JPMS consumer test, and proof that the
 * README's code works as written.
 */
@Timeout(120)
class NettyExampleTest {

    @Test
    void theReadmeReflectorRunsAsAModuleAndSendsThePacketBack(@TempDir Path dir) throws Exception {
        String example = ReadmeExample.javaBlock("netty");
        assertThat(example).contains("import io.github.geneve4j.netty.GeneveDecoder;", "6081");
        List<String> modulePath = ReadmeExample.modulePath(e -> ReadmeExample.isModule(e, "geneve-codec")
                || ReadmeExample.isModule(e, "geneve-options") || ReadmeExample.isModule(e, "geneve-endpoint")
                || ReadmeExample.isModule(e, "geneve-netty") || e.contains("/io/netty/"));
        assertThat(modulePath).anyMatch(e -> e.endsWith("geneve-netty/target/classes"))
                .anyMatch(e -> e.contains("netty-transport-native-epoll"));
        Path classes = ReadmeExample.compileAsModule(dir, "io.github.geneve4j.netty", "GeneveReflector", example,
                modulePath);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path errors = dir.resolve("stderr");
        Process run = new ProcessBuilder(java, "--module-path",
                classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "--add-modules", "ALL-MODULE-PATH", "--enable-native-access=ALL-UNNAMED,io.netty.common",
                "-m", "example/example.GeneveReflector").redirectError(errors.toFile()).start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the example ends by itself").isTrue();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(output + Files.readString(errors)).isZero();
        assertThat(output.lines().toList()).as(output).containsExactly(
                "reflected 76 bytes: GeneveHeader[version=0, oam=false, critical=false, protocolType=0x6558 (Ethernet), vni=5000 (0x001388), "
                        + "options=[GeneveOption[class=0x0108, type=0x03, data=01020304]]]");
    }
}
