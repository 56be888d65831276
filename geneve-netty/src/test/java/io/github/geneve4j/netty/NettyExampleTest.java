package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
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

    static String readmeExample() throws Exception {
        String readme = Files.readString(findUp("README.md"));
        int from = readme.indexOf("<!-- readme-example netty: begin");
        int to = readme.indexOf("<!-- readme-example netty: end", from);
        assertThat(from).as("README marker").isNotNegative();
        assertThat(to).as("README marker").isGreaterThan(from);
        String block = readme.substring(from, to);
        return block.substring(block.indexOf("```java") + 7, block.lastIndexOf("```"));
    }

    @Test
    void theReadmeReflectorRunsAsAModuleAndSendsThePacketBack(@TempDir Path dir) throws Exception {
        String example = readmeExample();
        assertThat(example).contains("import io.github.geneve4j.netty.GeneveDecoder;", "6081");
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), "module example { requires io.github.geneve4j.netty; }\n");
        Files.writeString(src.resolve("example/GeneveReflector.java"), "package example;\n" + example);
        List<String> modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> ((e.contains("geneve-codec") || e.contains("geneve-options") || e.contains("geneve-endpoint"))
                        && !e.contains("test") || e.replace('\\', '/').endsWith("geneve-netty/target/classes")
                        || e.contains("/io/netty/")))
                .toList();
        assertThat(modulePath).anyMatch(e -> e.endsWith("geneve-netty/target/classes"))
                .anyMatch(e -> e.contains("netty-transport-native-epoll"));
        Path classes = dir.resolve("classes");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modulePath), src.resolve("module-info.java").toString(),
                src.resolve("example/GeneveReflector.java").toString()));
        assertThat(javac.run(null, null, null, args.toArray(String[]::new))).as("javac exit code").isZero();

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
