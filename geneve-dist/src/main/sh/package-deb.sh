#!/usr/bin/env bash
# Makes the geneve command's Debian package with its own Java runtime (run by Maven in the dist profile).
#   package-deb.sh JAVA_HOME VERSION APP_DIR LICENSE OUT_DIR
# JAVA_HOME  the JDK Maven runs on (./build finds a JDK 22+; jpackage and jlink come from it, never
#            from PATH, where Debian 12's /usr/bin/jpackage is JDK 17's)
# APP_DIR    geneve-tools' jar and its runtime dependencies, which stay on the class path: picocli,
#            Jackson, Netty and the Prometheus client are no named modules (or are used as jars)
# OUT_DIR    gets runtime-modules.txt (jdeps' answer), runtime/ (jlink) and geneve_*.deb
set -euo pipefail
jdk="$1" version="$2" app="$3" license="$4" out="$5"
main_jar="geneve-tools-$version.jar"
[ -f "$app/$main_jar" ] || { echo "package-deb.sh: $app/$main_jar missing" >&2; exit 1; }
for tool in fakeroot objcopy dpkg-deb ldd; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "package-deb.sh: $tool not found; jpackage's .deb needs Debian's fakeroot and binutils (apt-get install fakeroot binutils)" >&2
    exit 1
  }
done
rm -rf "$out/runtime" "$out/jpackage" "$out/deb-root" "$out"/geneve_*.deb
mkdir -p "$out"

# 1. the JDK modules the jars use, as the class path sees them: the jars go in as class path entries
#    too, so a modular jar's module-info is not taken for its classes' use (Netty's "requires static
#    jdk.jfr" is used when present: JFR recordings work in the package). Missing optional
#    dependencies of Netty (BlockHound, Log4j, ...) are not on the class path at run time either.
#    Given twice, each jar draws a "split package" warning (on stdout): the answer is the last line.
release=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
#    The command's own jar is read without its module-info: it requires the Prometheus client's
#    automatic modules, which are jars on the class path here (as at run time), not modules.
classes="$out/tools-classes"
rm -rf "$classes" && mkdir -p "$classes"
(cd "$classes" && "$jdk/bin/jar" xf "$app/$main_jar" && rm -f module-info.class META-INF/versions/*/module-info.class)
analysed=()
for jar in "$app"/*.jar; do
  if [ "$(basename "$jar")" = "$main_jar" ]; then analysed+=("$classes"); else analysed+=("$jar"); fi
done
"$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$release" \
  --class-path "$app/*" "${analysed[@]}" >"$out/jdeps.log" 2>&1 || { cat "$out/jdeps.log" >&2; exit 1; }
modules=$(tail -n 1 "$out/jdeps.log")
if ! [[ "$modules" =~ ^java\.base(,[a-z][a-z0-9.]*)*$ ]]; then
  cat "$out/jdeps.log" >&2; echo "package-deb.sh: jdeps gave no module list" >&2; exit 1
fi
echo "$modules" >"$out/runtime-modules.txt"
echo "[dist] runtime modules (jdeps): $modules"

# 2. the runtime: those modules alone; --strip-debug drops class debug attributes and, with binutils'
#    objcopy, native debug symbols
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-6 --output "$out/runtime"

# 3. the package: jpackage's launcher /opt/geneve/bin/geneve starts the runtime with the jars on the
#    class path and the options below (lib/app/geneve.cfg); geneve-linux and Netty's epoll call
#    native code, which JDK 24+ warns about unless allowed
deb_version="${version/-SNAPSHOT/~snapshot}"   # 0.2.0~snapshot sorts before 0.2.0
"$jdk/bin/jpackage" --type deb --dest "$out/jpackage" \
  --name geneve --linux-package-name geneve --app-version "$deb_version" \
  --description "Geneve (RFC 8926) tunnel tools: dump, tso, demo, vtep, gwlb" \
  --vendor "The geneve4j developers" --copyright "The geneve4j developers, Apache-2.0" \
  --about-url https://github.com/geneve4j/geneve4j --license-file "$license" \
  --linux-app-category net \
  --input "$app" --main-jar "$main_jar" --main-class io.github.geneve4j.tools.cli.GeneveCommand \
  --runtime-image "$out/runtime" \
  --java-options --enable-native-access=ALL-UNNAMED

# 4. /usr/bin/geneve: a symbolic link that belongs to the package (dpkg -S, dpkg -r remove it with the
#    rest); jpackage installs under /opt/geneve alone, so the link is added to its package here
deb=$(ls "$out"/jpackage/geneve_*.deb)
dpkg-deb -R "$deb" "$out/deb-root"
mkdir -p "$out/deb-root/usr/bin"
ln -s /opt/geneve/bin/geneve "$out/deb-root/usr/bin/geneve"
dpkg-deb --root-owner-group -b "$out/deb-root" "$out/$(basename "$deb")" >/dev/null
rm -rf "$out/deb-root" "$out/jpackage"
echo "[dist] $(ls "$out"/geneve_*.deb): $(du -k "$out"/geneve_*.deb | cut -f1) KiB; runtime $(du -sk "$out/runtime" | cut -f1) KiB"
