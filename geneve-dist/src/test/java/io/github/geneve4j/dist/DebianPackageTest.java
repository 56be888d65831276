package io.github.geneve4j.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Debian package as a user gets it: {@code dpkg -i}, {@code geneve} from a plain PATH with no JDK
 * in sight, the README's systemd units checked against it, {@code dpkg -r} leaving no file behind.
 * It installs a system package, so it runs only as root with {@code CI=true} (CI's throwaway
 * machine), fails there when it cannot, and says why it skips anywhere else.
 */
@Tag("system")
class DebianPackageTest {

    private static final String PACKAGE = "geneve";
    /** Debian's default PATH for root: the package must put geneve on it by itself. */
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** Guards against a hang only; each command takes seconds. */
    private static final long HANG_GUARD_SECONDS = 120;

    /** Directories of the package that other packages (or the system) hold too: dpkg keeps them. */
    private static final Set<Path> SHARED_DIRECTORIES =
            Set.of(Path.of("/."), Path.of("/"), Path.of("/opt"), Path.of("/usr"), Path.of("/usr/bin"));

    private boolean installed;

    @Test
    void installsRunsAndRemovesCleanly() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        boolean root = uid() == 0;
        if (!ci || !root) {
            if (ci) {
                fail("CI=true: the package test installs the .deb with dpkg and must run as root (uid " + uid() + ")");
            }
            String why = "[dist] DebianPackageTest skipped: installs a system package, so only as root with CI=true"
                    + " (CI=" + System.getenv("CI") + ", uid " + uid() + ")";
            System.out.println(why);
            Assumptions.abort(why);
        }
        Path dir = Path.of(System.getProperty("geneve.dist.dir", "target"));
        Path deb = onlyDeb(dir);
        String version = System.getProperty("geneve.version");
        assertThat(run(List.of("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE)).out())
                .as("a geneve package is already installed; this test would replace it").doesNotStartWith("ii");
        System.out.printf("[dist] %s: %.1f MiB; runtime %s (%s): %.1f MiB%n", deb.getFileName(),
                mib(Files.size(deb)), dir.resolve("runtime"),
                Files.readString(dir.resolve("runtime-modules.txt")).strip(), mib(treeSize(dir.resolve("runtime"))));

        Result install = run(List.of("dpkg", "-i", deb.toString()));
        installed = true;
        assertThat(install.code()).as("dpkg -i: %s", install).isZero();
        List<Path> files = run(List.of("dpkg", "-L", PACKAGE)).out().lines().map(Path::of).toList();
        assertThat(files).contains(Path.of("/usr/bin/geneve"), Path.of("/opt/geneve/bin/geneve"));

        Result version0 = geneve("--version");
        assertThat(version0.code()).as("geneve --version: %s", version0).isZero();
        // the package's own runtime, not a JDK elsewhere: the Java it reports is the one that built it
        assertThat(version0.out().lines()).containsExactly("geneve " + version, "Java " + Runtime.version());

        Result demo = geneve("demo", "--count=2", "--interval=0.2");
        assertThat(demo.code()).as("geneve demo: %s", demo).isZero();
        assertThat(demo.out()).contains("2 packets transmitted, 2 received, 0% packet loss");
        assertThat(demo.err()).isEmpty();

        // geneve-linux calls native code (FFM): the launcher must allow it, or JDK 24+ warns on stderr
        Result gwlb = geneve("gwlb", "--local=127.0.0.1:0", "--gwlb=127.0.0.1", "--reply=udp", "--duration=1");
        assertThat(gwlb.code()).as("geneve gwlb: %s", gwlb).isZero();
        assertThat(gwlb.err()).doesNotContain("WARNING");

        checkReadmeUnits();

        Result remove = run(List.of("dpkg", "-r", PACKAGE));
        assertThat(remove.code()).as("dpkg -r: %s", remove).isZero();
        List<Path> left = new ArrayList<>();
        for (Path file : files) {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !SHARED_DIRECTORIES.contains(file)) {
                left.add(file);
            }
        }
        assertThat(left).as("left behind by dpkg -r").isEmpty();
        // no conffiles; jpackage's postrm keeps the record ("rc") until a purge, which must find nothing
        Result purge = run(List.of("dpkg", "--purge", PACKAGE));
        assertThat(purge.code()).as("dpkg --purge: %s", purge).isZero();
        installed = false;
        assertThat(run(List.of("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE)).out().strip())
                .isIn("", "un", "pn");
    }

    /**
     * The README's systemd units: every option their ExecStart gives the installed command is one its
     * {@code --help} lists, and {@code systemd-analyze verify} (where installed) accepts each unit.
     */
    private static void checkReadmeUnits() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("geneve.readme", "../README.md")));
        Matcher unit = Pattern.compile("`/etc/systemd/system/(geneve-[a-z]+\\.service)`.*?```ini\n(.*?)```",
                Pattern.DOTALL).matcher(readme);
        Path dir = Files.createTempDirectory("dist-units");
        try {
            checkUnits(unit, dir);
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }

    private static void checkUnits(Matcher unit, Path dir) throws Exception {
        List<String> verify = new ArrayList<>(List.of("systemd-analyze", "verify"));
        while (unit.find()) {
            Path file = dir.resolve(unit.group(1));
            Files.writeString(file, unit.group(2));
            verify.add(file.toString());
            Matcher exec = Pattern.compile("(?m)^ExecStart=/usr/bin/geneve (\\S+)(.*)$").matcher(unit.group(2));
            assertThat(exec.find()).as("ExecStart of %s", file.getFileName()).isTrue();
            Result help = geneve(exec.group(1), "--help");
            assertThat(help.code()).as("geneve %s --help: %s", exec.group(1), help).isZero();
            Matcher option = Pattern.compile("(?<=\\s)--[a-z-]+").matcher(exec.group(2));
            while (option.find()) {
                assertThat(help.out()).as("%s: geneve %s --help", file.getFileName(), exec.group(1))
                        .contains(option.group() + "=");
            }
        }
        assertThat(verify).as("units in the README").hasSize(4);
        if (run(List.of("sh", "-c", "command -v systemd-analyze")).code() != 0) {
            System.out.println("[dist] systemd-analyze not installed: the README's units were not verified");
            return;
        }
        Result verified = run(verify);
        assertThat(verified.code()).as("systemd-analyze verify: %s", verified).isZero();
        assertThat(verified.err()).as("systemd-analyze verify").isEmpty();
    }

    @AfterEach
    void purgeAfterFailure() throws Exception {
        if (installed) {
            run(List.of("dpkg", "--purge", PACKAGE));
        }
    }

    private static Path onlyDeb(Path dir) throws IOException {
        List<Path> debs = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, "geneve_*.deb")) {
            found.forEach(debs::add);
        }
        assertThat(debs).as("one package in %s (built by the dist profile at package)", dir).hasSize(1);
        return debs.getFirst();
    }

    /** Runs geneve as a user would: found on PATH, with no JAVA_HOME or JDK on it. */
    private static Result geneve(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "-i", "PATH=" + PATH, "HOME=/root", PACKAGE));
        command.addAll(List.of(args));
        return run(command);
    }

    private record Result(int code, String out, String err) {}

    private static Result run(List<String> command) throws Exception {
        Path out = Files.createTempFile("dist-out", ".txt");
        Path err = Files.createTempFile("dist-err", ".txt");
        try {
            Process p = new ProcessBuilder(command).directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(command + " did not end");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static int uid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    private static long treeSize(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
