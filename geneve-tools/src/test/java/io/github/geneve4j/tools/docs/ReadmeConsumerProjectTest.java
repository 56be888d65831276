package io.github.geneve4j.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Use it in your project" {@code pom.xml} and class, copied as they are into a fresh
 * project and compiled by Maven ({@code mvn -o compile}), the way a reader would after {@code
 * ./build install}. What the install would put in {@code ~/.m2} is laid out instead in a repository
 * of this test's own (this build's library jars and POMs, the parent POM), so no SNAPSHOT reaches
 * the shared local repository; everything else (plugins, Netty) comes from the local repository
 * through a {@code file:} mirror, so the test needs no network. About 20 s.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReadmeConsumerProjectTest {

    private static final List<String> LIBRARIES = List.of("geneve-codec", "geneve-options", "geneve-pcap",
            "geneve-endpoint", "geneve-linux", "geneve-netty");

    /** The text of the first {@code ```LANG} block in {@code region}. */
    static String block(String region, String lang) {
        int start = region.indexOf("```" + lang + "\n");
        assertThat(start).as("a ```" + lang + " block").isNotNegative();
        start += lang.length() + 4;
        return region.substring(start, region.indexOf("\n```", start) + 1);
    }

    @Test
    void theReadmesPomAndClassCompileWithMavenAgainstThisBuild(@TempDir Path dir) throws Exception {
        Process which = new ProcessBuilder("sh", "-c", "command -v mvn").start();
        if (which.waitFor() != 0) {
            System.err.println("SKIPPED: README consumer project NOT BUILT: no mvn on the PATH");
            Assumptions.abort("no mvn");
        }
        String readme = Files.readString(ReadmeExample.findUp("README.md"));
        int from = readme.indexOf("<!-- readme-consumer: begin");
        int to = readme.indexOf("<!-- readme-consumer: end", from);
        assertThat(from).as("README markers of the consumer project").isNotNegative();
        String region = readme.substring(from, to);
        String pom = block(region, "xml");
        String java = block(region, "java");
        Matcher pkg = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(java);
        Matcher cls = Pattern.compile("^public class (\\w+)", Pattern.MULTILINE).matcher(java);
        assertThat(pkg.find() && cls.find()).as("a package and a public class").isTrue();

        Path project = dir.resolve("project");
        Path source = project.resolve("src/main/java/" + pkg.group(1).replace('.', '/') + "/" + cls.group(1) + ".java");
        Files.createDirectories(source.getParent());
        Files.writeString(project.resolve("pom.xml"), pom);
        Files.writeString(source, java);

        String version = ReadmeVersionTest.buildVersion();
        Path repo = dir.resolve("geneve-build");
        Path root = ReadmeExample.findUp("pom.xml").getParent();
        while (!Files.exists(root.resolve("geneve-codec"))) {
            root = root.getParent();
        }
        install(repo, "geneve-parent", version, root.resolve("pom.xml"), null);
        for (String artifact : LIBRARIES) {
            install(repo, artifact, version, root.resolve(artifact).resolve("pom.xml"), classes(artifact));
        }
        Path localM2 = Path.of(System.getProperty("maven.repo.local",
                System.getProperty("user.home") + "/.m2/repository"));
        Path settings = dir.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <localRepository>%s</localRepository>
                  <mirrors>
                    <mirror><id>local-m2</id><mirrorOf>*,!geneve-build</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                  <profiles>
                    <profile>
                      <id>geneve-build</id>
                      <repositories>
                        <repository><id>geneve-build</id><url>%s</url><snapshots><enabled>true</enabled></snapshots></repository>
                      </repositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>geneve-build</activeProfile></activeProfiles>
                </settings>
                """.formatted(dir.resolve("local"), localM2.toUri(), repo.toUri()));
        Path log = dir.resolve("mvn.log");
        ProcessBuilder mvn = new ProcessBuilder("mvn", "-B", "-q", "-o", "-Daether.offline.protocols=file",
                "-s", settings.toString(), "compile")
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        mvn.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        if (Runtime.version().feature() >= 24) {
            // Maven 3.8's Guava calls sun.misc.Unsafe, which JDK 24+ warns about: as ./build does
            mvn.environment().put("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");
        }
        Process build = mvn.start();
        assertThat(build.waitFor(240, TimeUnit.SECONDS)).as("mvn compile within 4 minutes").isTrue();
        assertThat(build.exitValue()).as("mvn compile of the README's project:\n" + Files.readString(log)).isZero();
        assertThat(project.resolve("target/classes/" + pkg.group(1).replace('.', '/') + "/" + cls.group(1) + ".class"))
                .exists();
    }

    /** This build's main classes of {@code artifact}: its folder or its jar on the test class path. */
    private static Path classes(String artifact) {
        List<String> entries = new ArrayList<>(ReadmeExample.modulePath(e -> ReadmeExample.isModule(e, artifact)));
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null) {
            Stream.of(modulePath.split(File.pathSeparator)).filter(e -> ReadmeExample.isModule(e, artifact))
                    .forEach(entries::add);
        }
        assertThat(entries).as(artifact + "'s classes on the test class path").isNotEmpty();
        return Path.of(entries.get(0));
    }

    /** Lays out {@code artifact} as {@code ./build install} would: its POM, and its jar when it has classes. */
    private static void install(Path repo, String artifact, String version, Path pom, Path classes) throws IOException {
        Path at = repo.resolve("io/github/geneve4j").resolve(artifact).resolve(version);
        Files.createDirectories(at);
        Files.copy(pom, at.resolve(artifact + "-" + version + ".pom"));
        if (classes == null) {
            return;
        }
        Path jar = at.resolve(artifact + "-" + version + ".jar");
        if (Files.isRegularFile(classes)) {
            Files.copy(classes, jar);
            return;
        }
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
                out.write(Files.readAllBytes(p));
                out.closeEntry();
            }
        }
        assertThat(jar).isNotEmptyFile();
        assertThat(new String(Files.readAllBytes(pom), StandardCharsets.UTF_8)).contains("<artifactId>" + artifact + "</artifactId>");
    }
}
