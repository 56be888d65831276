package io.github.geneve4j.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's geneve4j coordinates name the version this build makes (the one {@code ./build
 * install} installs): every Maven {@code <dependency>} of group {@code io.github.geneve4j}, every
 * Gradle {@code "io.github.geneve4j:ARTIFACT:VERSION"}, and the version "Use it in your project"
 * says the install gives.
 */
class ReadmeVersionTest {

    private static final Pattern MAVEN = Pattern.compile(
            "<groupId>io\\.github\\.geneve4j</groupId>\\s*<artifactId>([\\w-]+)</artifactId>[^\\n]*\\n\\s*<version>([^<]*)</version>");
    private static final Pattern GRADLE = Pattern.compile("\"io\\.github\\.geneve4j:([\\w-]+):([^\"]*)\"");
    private static final List<String> LIBRARIES = List.of("geneve-codec", "geneve-options", "geneve-pcap",
            "geneve-endpoint", "geneve-linux", "geneve-netty");

    /** The project version, as the build filtered it into the geneve command's version.properties. */
    static String buildVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = io.github.geneve4j.tools.cli.GeneveCommand.class.getResourceAsStream("version.properties")) {
            p.load(in);
        }
        String version = p.getProperty("version");
        assertThat(version).as("version.properties, filtered by the build").matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        return version;
    }

    record Coordinate(String artifact, String version, String form) {
    }

    static List<Coordinate> coordinates(String readme) {
        List<Coordinate> found = new ArrayList<>();
        for (Matcher m = MAVEN.matcher(readme); m.find(); ) {
            found.add(new Coordinate(m.group(1), m.group(2), "maven"));
        }
        for (Matcher m = GRADLE.matcher(readme); m.find(); ) {
            found.add(new Coordinate(m.group(1), m.group(2), "gradle"));
        }
        return found;
    }

    @Test
    void everyGeneve4jCoordinateOfTheReadmeIsTheBuildsVersion() throws IOException {
        String readme = Files.readString(ReadmeExample.findUp("README.md"));
        String version = buildVersion();
        List<Coordinate> found = coordinates(readme);
        assertThat(found).as("Maven and Gradle coordinates in the README").extracting(Coordinate::form)
                .contains("maven", "gradle");
        assertThat(found).hasSizeGreaterThanOrEqualTo(6);
        for (Coordinate c : found) {
            assertThat(c.version()).as(c + " (expected: this build's " + version + ")").isEqualTo(version);
            assertThat(LIBRARIES).as(c + ": a published library").contains(c.artifact());
        }
    }

    @Test
    void useItInYourProjectSaysWhichVersionTheInstallGives() throws IOException {
        String readme = Files.readString(ReadmeExample.findUp("README.md"));
        int from = readme.indexOf("## Use it in your project");
        String section = readme.substring(from, readme.indexOf("\n## ", from + 1));
        assertThat(section).contains("./build install -DskipTests")
                .contains("It installs the version this tree builds: `" + buildVersion() + "`");
    }

    @Test
    void aStaleVersionIsFound() {
        String stale = """
                <dependency>
                  <groupId>io.github.geneve4j</groupId>
                  <artifactId>geneve-codec</artifactId>   <!-- a comment -->
                  <version>0.1.0</version>
                </dependency>
                implementation("io.github.geneve4j:geneve-linux:0.0.9")
                """;
        assertThat(coordinates(stale)).containsExactly(new Coordinate("geneve-codec", "0.1.0", "maven"),
                new Coordinate("geneve-linux", "0.0.9", "gradle"));
    }
}
