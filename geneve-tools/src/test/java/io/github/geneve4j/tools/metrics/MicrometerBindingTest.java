package io.github.geneve4j.tools.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.testing.ReadmeExample;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Micrometer binding ("Metrics", class {@code GeneveMeters}), compiled as given and
 * bound to a registry over a running endpoint: its counters are the endpoint's own.
 */
class MicrometerBindingTest {

    /** The README's {@code ```java} block that declares {@code class NAME}. */
    static String readmeClass(String name) throws Exception {
        String readme = Files.readString(ReadmeExample.findUp("README.md"));
        int at = readme.indexOf("public class " + name + " ");
        assertThat(at).as("the README's class " + name).isNotNegative();
        int from = readme.lastIndexOf("```java\n", at) + "```java\n".length();
        return readme.substring(from, readme.indexOf("\n```", at) + 1);
    }

    @Test
    void theReadmesBindingCountsWhatTheEndpointCounts(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("GeneveMeters.java");
        Files.writeString(source, readmeClass("GeneveMeters"));
        StringWriter errors = new StringWriter();
        boolean compiled = ToolProvider.getSystemJavaCompiler().getTask(errors, null, null,
                List.of("-d", dir.toString(), "-proc:none", "-classpath", System.getProperty("java.class.path")),
                null, ToolProvider.getSystemJavaCompiler().getStandardFileManager(null, null, null)
                        .getJavaFileObjects(source)).call();
        assertThat(compiled).as(errors.toString()).isTrue();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
             LoopbackPair pair = new LoopbackPair()) {
            MeterBinder meters = (MeterBinder) loader.loadClass("GeneveMeters").getConstructor(GeneveEndpoint.class)
                    .newInstance(pair.left);
            pair.send(25);
            // bound after the traffic: its first read takes the snapshot (it keeps one up to 100 ms)
            MeterRegistry registry = new SimpleMeterRegistry();
            meters.bindTo(registry);
            assertThat(registry.get("geneve.frames").tag("direction", "to_tunnel").functionCounter().count()).isEqualTo(25);
            assertThat(registry.get("geneve.bytes").tag("direction", "to_tunnel").functionCounter().count())
                    .isEqualTo(pair.left.stats().bytesToTunnel());
            assertThat(registry.get("geneve.drops").tag("reason", "not-a-peer").functionCounter().count()).isZero();
            assertThat(registry.get("geneve.peers").gauge().value()).isEqualTo(1);
        }
    }
}
