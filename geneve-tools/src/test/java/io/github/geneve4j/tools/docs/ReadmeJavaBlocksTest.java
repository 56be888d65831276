package io.github.geneve4j.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the README compiles as given, against the library modules: a
 * block that declares a class is compiled as its own source file; any other block is its imports
 * followed by statements, compiled as the body of a method (that may throw). Nothing is added: an
 * import or a name the block does not show is a compile error here. (The blocks are run by the
 * tests of their own modules; this test is about what a reader copies.)
 */
class ReadmeJavaBlocksTest {

    private static final Pattern TYPE = Pattern.compile("^(public\\s+)?(final\\s+)?(class|record|interface|enum)\\s+(\\w+)",
            Pattern.MULTILINE);

    record Block(int line, String code) {
    }

    static List<Block> javaBlocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        List<String> lines = markdown.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("```java")) {
                int start = i + 1;
                StringBuilder code = new StringBuilder();
                for (i = start; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                    code.append(lines.get(i)).append('\n');
                }
                blocks.add(new Block(start + 1, code.toString()));
            }
        }
        return blocks;
    }

    /** The block as a compilation unit: itself when it declares a type, else its statements in a method. */
    static String unit(Block block, String className) {
        Matcher type = TYPE.matcher(block.code());
        if (type.find()) {
            return block.code().replaceFirst("(?m)^public\\s+((final\\s+)?(class|record|interface|enum))", "$1");
        }
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : block.code().lines().toList()) {
            (line.startsWith("import ") && body.toString().isBlank() ? imports : body).append(line).append('\n');
        }
        return imports + "class " + className + " {\n    static void run() throws Exception {\n" + body + "    }\n}\n";
    }

    @Test
    void everyJavaBlockCompilesAsGiven(@TempDir Path dir) throws IOException {
        List<Block> blocks = javaBlocks(Files.readString(ReadmeExample.findUp("README.md")));
        assertThat(blocks).hasSizeGreaterThan(5);
        List<String> failures = new ArrayList<>();
        for (Block block : blocks) {
            Path src = dir.resolve("block" + block.line());
            Matcher type = TYPE.matcher(block.code());
            String className = type.find() ? type.group(4) : "ReadmeBlock" + block.line();
            Files.createDirectories(src);
            Path file = src.resolve(className + ".java");
            Files.writeString(file, unit(block, className));
            StringWriter errors = new StringWriter();
            boolean ok = ToolProvider.getSystemJavaCompiler().getTask(errors, null, null,
                    List.of("-d", src.resolve("classes").toString(), "-proc:none", "-Xlint:none",
                            "-classpath", System.getProperty("java.class.path")),
                    null, ToolProvider.getSystemJavaCompiler().getStandardFileManager(null, null, null)
                            .getJavaFileObjects(file)).call();
            if (!ok) {
                failures.add("README.md line " + block.line() + ":\n" + errors);
            }
        }
        assertThat(failures).as("README java blocks that do not compile as given").isEmpty();
    }

    @Test
    void aBlockThatUsesAnUndefinedNameOrAMissingImportFails(@TempDir Path dir) throws IOException {
        for (String code : List.of("int n = undefined.size();\n", "List<String> l = List.of();\n")) {
            Block block = new Block(1, code);
            Path file = dir.resolve("ReadmeBlock1.java");
            Files.writeString(file, unit(block, "ReadmeBlock1"));
            boolean ok = ToolProvider.getSystemJavaCompiler().getTask(new StringWriter(), null, null,
                    List.of("-d", dir.resolve("classes").toString(), "-proc:none"), null,
                    ToolProvider.getSystemJavaCompiler().getStandardFileManager(null, null, null).getJavaFileObjects(file))
                    .call();
            assertThat(ok).as(code).isFalse();
        }
        Files.writeString(dir.resolve("ReadmeBlock2.java"), unit(new Block(2, "import java.util.List;\nList<String> l = List.of();\n"),
                "ReadmeBlock2"));
        assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-d", dir.resolve("classes").toString(), dir.resolve("ReadmeBlock2.java").toString())).isZero();
    }
}
