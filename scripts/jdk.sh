# Sourced by ./build, ./geneve, ./benchmarks and .ci/run: finds a JDK 22 or newer.
#
# geneve4j needs JDK 22+ (the final java.lang.foreign API). Many machines have an older default
# `java` (Debian 12's is 17) with a newer JDK installed beside it; this looks at $JAVA_HOME first,
# then at the usual install folders, and takes the newest JDK 22+ it finds.

# Prints the feature version of the java binary $1 (e.g. 25), or 0 when it cannot tell.
geneve_java_major() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  v=${v%%.*}
  case "$v" in ''|*[!0-9]*) echo 0 ;; *) echo "$v" ;; esac
}

# Prints the home of a JDK 22+ (JAVA_HOME when it is one, else the newest found), or nothing.
geneve_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] \
      && [ "$(geneve_java_major "$JAVA_HOME/bin/java")" -ge 22 ]; then
    echo "$JAVA_HOME"; return
  fi
  local best="" best_v=0 home v
  for home in /usr/lib/jvm/* /opt/java/* /opt/jdk* /Library/Java/JavaVirtualMachines/*/Contents/Home \
      "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -x "$home/bin/javac" ] || continue
    v=$(geneve_java_major "$home/bin/java")
    if [ "$v" -ge 22 ] && [ "$v" -gt "$best_v" ]; then best="$home"; best_v=$v; fi
  done
  echo "$best"
}

# Exports JAVA_HOME and PATH for a JDK 22+, or explains what to install and returns 1.
geneve_use_jdk() {
  local home
  home=$(geneve_find_jdk)
  if [ -z "$home" ]; then
    local seen="none"
    if command -v java >/dev/null 2>&1; then
      seen="$(command -v java), version $(geneve_java_major "$(command -v java)")"
    fi
    cat >&2 <<MSG
geneve4j needs a JDK 22 or newer; none was found (default java: $seen;
looked at \$JAVA_HOME and /usr/lib/jvm/*, /opt/java/*, /opt/jdk*, ~/.sdkman, ~/.jdks).
Install one, for example Eclipse Temurin 25 (https://adoptium.net; on Debian/Ubuntu the
temurin-25-jdk package from packages.adoptium.net), then run this again or set JAVA_HOME to it.
MSG
    return 1
  fi
  export JAVA_HOME="$home" PATH="$home/bin:$PATH"
}
