package io.github.geneve4j.tools.cli;

import io.github.geneve4j.tools.demo.TunnelCommands;
import io.github.geneve4j.tools.tap.VtepCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code geneve} command: {@code java -jar geneve.jar COMMAND ...}.
 *
 * <p>Exit codes: 0 success, 1 a run that did not do what was asked (for example a ping without
 * replies), 2 bad input or usage.
 */
@Command(name = "geneve",
        mixinStandardHelpOptions = true,
        versionProvider = GeneveCommand.Version.class,
        description = "Geneve (RFC 8926) tools: read captures, segment large TCP frames, run a tunnel.",
        subcommands = {DumpCommand.class, TsoCommand.class, TunnelCommands.Demo.class, TunnelCommands.Ping.class,
            TunnelCommands.Responder.class, VtepCommand.class, GwlbCommand.class,
            CommandLine.HelpCommand.class})
public final class GeneveCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given streams; returns the exit code (for tests). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new GeneveCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
            // no stack traces for users: one line, exit 2
            cl.getErr().println("geneve: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 2;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The release: the Maven project version, written into version.properties by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"geneve " + release(), "Java " + Runtime.version()};
        }

        /** The release this build is (the project version the build wrote into version.properties). */
        static String release() {
            Properties p = new Properties();
            try (InputStream in = GeneveCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // falls through to the manifest's, or to "unknown"
            }
            String version = p.getProperty("version");
            if (version == null || version.startsWith("${")) {
                version = GeneveCommand.class.getPackage().getImplementationVersion();
            }
            return version != null ? version : "(unknown version)";
        }
    }
}
