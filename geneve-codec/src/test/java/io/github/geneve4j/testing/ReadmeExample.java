package io.github.geneve4j.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import javax.tools.ToolProvider;

/**
 * README examples as the README has them, for the tests that compile and run them: the Java block
 * between {@code <!-- readme-example NAME: begin} and {@code <!-- readme-example NAME: end}, compiled
 * as the main class of a module of its own against the library modules on the module path.
 */
public final class ReadmeExample {

    private ReadmeExample() {
    }

    /** The {@code ```java} block of the README between the markers of example {@code name}. */
    public static String javaBlock(String name) throws IOException {
        String readme = Files.readString(findUp("README.md"));
        int from = readme.indexOf("<!-- readme-example " + name + ": begin");
        int to = readme.indexOf("<!-- readme-example " + name + ": end", from);
        if (from < 0 || to < 0) {
            throw new AssertionError("no README markers for the example '" + name + "'");
        }
        String block = readme.substring(from, to);
        return block.substring(block.indexOf("```java") + 7, block.lastIndexOf("```"));
    }

    /** {@code relative} in the working directory or the nearest folder above that has it. */
    public static Path findUp(String relative) {
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

    /** The entries of the test class path that {@code keep} accepts: the module path for the example. */
    public static List<String> modulePath(Predicate<String> keep) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).filter(keep).toList();
    }

    /** Whether a class path entry is geneve4j module {@code artifact}'s main classes (its jar or its folder). */
    public static boolean isModule(String entry, String artifact) {
        String e = entry.replace('\\', '/');
        String name = e.substring(e.lastIndexOf('/') + 1);
        return e.endsWith("/" + artifact + "/target/classes")
                || (name.startsWith(artifact + "-") && name.endsWith(".jar") && !name.endsWith("-tests.jar"));
    }

    /**
     * Compiles {@code source} as class {@code example.CLASS} of module {@code example}, which
     * {@code requires} {@code module}; fails the test on any javac error.
     *
     * @return the folder of the compiled module
     */
    public static Path compileAsModule(Path dir, String module, String className, String source, List<String> modulePath)
            throws IOException {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("module-info.java"), "module example { requires " + module + "; }\n");
        Files.writeString(src.resolve("example/" + className + ".java"), "package example;\n" + source);
        Path classes = dir.resolve("classes");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modulePath), src.resolve("module-info.java").toString(),
                src.resolve("example/" + className + ".java").toString()));
        int code = ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new));
        if (code != 0) {
            throw new AssertionError("javac exited " + code + " compiling the README example " + className);
        }
        return classes;
    }
}
