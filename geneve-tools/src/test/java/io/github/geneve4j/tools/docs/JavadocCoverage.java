package io.github.geneve4j.tools.docs;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.DirectiveTree;
import com.sun.source.tree.ExportsTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ModifiersTree;
import com.sun.source.tree.ModuleTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.DocTrees;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Finds the public API of a module that has no documentation comment: every public (or protected)
 * type, constructor, method, field and enum constant of an exported package, a public class's
 * implicit default constructor included. Javadoc's own doclint group {@code missing} also asks for
 * every {@code @param} and {@code @return}, which a one-sentence comment often makes redundant; this
 * asks only that each member is documented at all. Members that carry {@code @Override} inherit
 * their comment. Sources are parsed, not compiled, so the check is quick and needs no class path.
 */
public final class JavadocCoverage {

    private JavadocCoverage() {
    }

    /**
     * The undocumented public members under {@code sourceRoot} (a module's {@code src/main/java}
     * with its {@code module-info.java}), each as {@code path:line: what}; empty when all are documented.
     */
    public static List<String> undocumented(Path sourceRoot) throws IOException {
        return scan(sourceRoot, true);
    }

    /** The packages that {@code sourceRoot}'s {@code module-info.java} exports to every module. */
    public static Set<String> exportedPackages(Path sourceRoot) throws IOException {
        return Set.copyOf(scan(sourceRoot, false));
    }

    private static List<String> scan(Path sourceRoot, boolean members) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sourceRoot)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            JavacTask task = (JavacTask) javac.getTask(null, fm, d -> { }, List.of("-proc:none"), null,
                    fm.getJavaFileObjectsFromPaths(files));
            List<CompilationUnitTree> units = new ArrayList<>();
            task.parse().forEach(units::add);
            Set<String> exported = exportedPackages(units);
            if (!members) {
                return List.copyOf(exported);
            }
            DocTrees docs = DocTrees.instance(task);
            List<String> missing = new ArrayList<>();
            for (CompilationUnitTree unit : units) {
                if (unit.getPackage() == null || !exported.contains(unit.getPackageName().toString())) {
                    continue;
                }
                new Scanner(unit, docs, sourceRoot, missing).scan(new TreePath(unit), null);
            }
            return missing;
        }
    }

    private static Set<String> exportedPackages(List<CompilationUnitTree> units) {
        Set<String> exported = new HashSet<>();
        for (CompilationUnitTree unit : units) {
            if (unit.getModule() == null) {
                continue;
            }
            ModuleTree module = unit.getModule();
            for (DirectiveTree d : module.getDirectives()) {
                // qualified exports ("to" a sibling module) are internal API
                if (d instanceof ExportsTree e && (e.getModuleNames() == null || e.getModuleNames().isEmpty())) {
                    exported.add(e.getPackageName().toString());
                }
            }
        }
        if (exported.isEmpty()) {
            throw new AssertionError("no module-info.java with unqualified exports found");
        }
        return exported;
    }

    private static final class Scanner extends TreePathScanner<Void, Void> {
        private final CompilationUnitTree unit;
        private final DocTrees docs;
        private final Path root;
        private final List<String> missing;
        /** Kinds of the enclosing types, innermost last: interface members are implicitly public. */
        private final List<Tree.Kind> enclosing = new ArrayList<>();

        Scanner(CompilationUnitTree unit, DocTrees docs, Path root, List<String> missing) {
            this.unit = unit;
            this.docs = docs;
            this.root = root;
            this.missing = missing;
        }

        @Override
        public Void visitClass(ClassTree node, Void unused) {
            if (!visible(node.getModifiers())) {
                return null; // nothing inside a non-public type is API
            }
            check(node.getSimpleName() + " (" + node.getKind().name().toLowerCase() + ")");
            if ((node.getKind() == Tree.Kind.CLASS) && node.getMembers().stream()
                    .noneMatch(m -> m instanceof MethodTree mt && mt.getName().contentEquals("<init>"))) {
                // parsed, not entered: a class without a constructor in its source has no <init> here
                report(node, node.getSimpleName() + "() (implicit default constructor)");
            }
            enclosing.add(node.getKind());
            try {
                return super.visitClass(node, unused);
            } finally {
                enclosing.removeLast();
            }
        }

        @Override
        public Void visitMethod(MethodTree node, Void unused) {
            if (!visible(node.getModifiers()) || overrides(node.getModifiers())) {
                return null;
            }
            // a record's compact canonical constructor is documented by the record's @param tags
            if (node.getName().contentEquals("<init>") && enclosingKind() == Tree.Kind.RECORD && isCompact(node)) {
                return null;
            }
            String name = node.getName().contentEquals("<init>") ? "constructor" : node.getName() + "()";
            check(name);
            return null;
        }

        @Override
        public Void visitVariable(VariableTree node, Void unused) {
            // fields only (a method's parameters are not visited: visitMethod does not descend)
            if (visible(node.getModifiers())) { // enum constants are implicitly public
                check(node.getName().toString());
            }
            return null;
        }

        /** Whether a record's constructor is the compact form: no parameter list in its source. */
        private boolean isCompact(MethodTree node) {
            long start = docs.getSourcePositions().getStartPosition(unit, node);
            long body = docs.getSourcePositions().getStartPosition(unit, node.getBody());
            try {
                return !unit.getSourceFile().getCharContent(true).subSequence((int) start, (int) body).toString()
                        .contains("(");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private Tree.Kind enclosingKind() {
            return enclosing.isEmpty() ? null : enclosing.getLast();
        }

        private boolean visible(ModifiersTree modifiers) {
            Set<Modifier> flags = modifiers.getFlags();
            if (flags.contains(Modifier.PRIVATE)) {
                return false;
            }
            Tree.Kind outer = enclosingKind();
            if (outer == Tree.Kind.INTERFACE || outer == Tree.Kind.ANNOTATION_TYPE) {
                return true;
            }
            return flags.contains(Modifier.PUBLIC) || flags.contains(Modifier.PROTECTED);
        }

        private static boolean overrides(ModifiersTree modifiers) {
            return modifiers.getAnnotations().stream()
                    .anyMatch(a -> a.getAnnotationType().toString().endsWith("Override"));
        }

        private void check(String what) {
            if (docs.getDocCommentTree(getCurrentPath()) == null) {
                report(getCurrentPath().getLeaf(), what);
            }
        }

        private void report(Tree node, String what) {
            long pos = docs.getSourcePositions().getStartPosition(unit, node);
            long line = unit.getLineMap().getLineNumber(pos);
            Path file = Path.of(unit.getSourceFile().toUri());
            missing.add(root.toAbsolutePath().relativize(file) + ":" + line + ": " + what);
        }
    }
}
