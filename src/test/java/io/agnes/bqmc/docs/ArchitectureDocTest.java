package io.agnes.bqmc.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * docs/ARCHITECTURE.md names the code as it is: every class it names (in backticks, or as
 * {@code Class.member} in its diagrams) is one of ours or a library's on the classpath, every
 * member it names is in that class's source, every package is a package, every file a file.
 * It had drifted in six places before this test.
 */
class ArchitectureDocTest {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path SOURCES = ROOT.resolve("src/main/java/io/agnes/bqmc");

    /** Where a library class the page names may live. */
    static final List<String> LIBRARY_PACKAGES = List.of("java.lang", "java.util", "java.io", "java.nio", "java.sql",
            "javax.sql", "org.apache.camel", "org.apache.camel.spi", "org.apache.camel.main", "org.apache.camel.builder",
            "org.apache.camel.component.platform.http.vertx", "org.apache.camel.component.google.bigquery",
            "io.vertx.core", "io.vertx.core.http", "io.vertx.ext.web", "com.zaxxer.hikari",
            "com.fasterxml.jackson.core", "com.fasterxml.jackson.databind", "com.google.cloud.bigquery",
            "com.google.auth.oauth2");

    static final Pattern BACKTICKED = Pattern.compile("`([^`\\s]+)`");
    static final Pattern CLASS_MEMBER = Pattern.compile("\\b([A-Z][A-Za-z0-9]+)\\.([A-Za-z][A-Za-z0-9_]*)\\b");
    static final Pattern CLASS_NAME = Pattern.compile("[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*");

    @Test
    void everyClassMemberPackageAndFileItNamesExists() throws IOException {
        String page = Files.readString(ROOT.resolve("docs/ARCHITECTURE.md"));
        Map<String, Path> ours;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            ours = files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toMap(
                    f -> f.getFileName().toString().replace(".java", ""), Function.identity(), (a, b) -> a));
        }
        List<String> missing = new ArrayList<>();
        TreeSet<String> checked = new TreeSet<>();
        Matcher ticks = BACKTICKED.matcher(page);
        while (ticks.find()) {
            String name = ticks.group(1);
            checked.add(name);
            check(name, ours).ifPresent(missing::add);
        }
        // the diagrams: Class.member, outside backticks
        for (String block : page.split("```")) {
            Matcher members = CLASS_MEMBER.matcher(block);
            while (members.find()) {
                String name = members.group();
                if (ours.containsKey(members.group(1)) && checked.add(name)) {
                    check(name, ours).ifPresent(missing::add);
                }
            }
        }
        assertThat(checked).as("what the page names").hasSizeGreaterThan(40);
        assertThat(missing).as("named in docs/ARCHITECTURE.md but not in the code").isEmpty();
    }

    /** Why a name does not hold, or empty when it does (or is not a name of code: a setting, a value). */
    static Optional<String> check(String name, Map<String, Path> ours) throws IOException {
        if (name.contains("/") || name.matches(".*\\.(yaml|yml|properties|md|json)")) {
            return file(name);
        }
        if (name.matches("[a-z]+") && Files.isDirectory(SOURCES.resolve(name))) {
            return Optional.empty();
        }
        if (name.matches("[a-z]+\\.[A-Z][A-Za-z0-9]+")) {
            String[] parts = name.split("\\.");
            return Files.exists(SOURCES.resolve(parts[0]).resolve(parts[1] + ".java"))
                    ? Optional.empty() : Optional.of(name + ": no such class in package " + parts[0]);
        }
        if (name.matches("(io|org|com)(\\.[a-z]+)+")) {
            return Files.isDirectory(ROOT.resolve("src/main/java").resolve(name.replace('.', '/')))
                    ? Optional.empty() : Optional.of(name + ": no such package");
        }
        String[] parts = name.split("\\.");
        if (!CLASS_NAME.matcher(parts[0]).matches() || parts.length > 2) {
            return Optional.empty();
        }
        Path source = ours.get(parts[0]);
        if (source == null) {
            return library(parts[0]) ? Optional.empty() : Optional.of(name + ": no such class");
        }
        if (parts.length == 2) {
            String member = parts[1].replaceAll("\\(.*", "");
            if (!Pattern.compile("\\b" + Pattern.quote(member) + "\\b").matcher(Files.readString(source)).find()) {
                return Optional.of(name + ": " + parts[0] + " has no " + member);
            }
        }
        return Optional.empty();
    }

    static boolean library(String simpleName) {
        for (String pkg : LIBRARY_PACKAGES) {
            try {
                Class.forName(pkg + "." + simpleName, false, ArchitectureDocTest.class.getClassLoader());
                return true;
            } catch (ClassNotFoundException e) {
                // the next package
            }
        }
        // a product's name in code type, not a class
        return List.of("BigQuery", "DuckDB", "PostgreSQL", "HikariCP").contains(simpleName);
    }

    static Optional<String> file(String name) {
        String path = name.replaceAll("[,.;:]$", "");
        for (Path base : List.of(ROOT, ROOT.resolve("src/main/resources"), SOURCES)) {
            if (Files.exists(base.resolve(path))) {
                return Optional.empty();
            }
        }
        // a path template (deploy/*.env) or an URL path of the API is not a file of the repository
        if (path.startsWith("/") || path.contains("*") || path.contains("{") || path.contains("<")) {
            return Optional.empty();
        }
        return Optional.of(name + ": no such file");
    }
}
