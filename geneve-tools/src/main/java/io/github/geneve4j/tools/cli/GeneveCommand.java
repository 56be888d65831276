package io.github.geneve4j.tools.cli;

import io.github.geneve4j.tools.demo.TunnelCommands;
import io.github.geneve4j.tools.tap.VtepCommand;
import java.io.PrintWriter;
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

    /** The version from the jar's manifest (the Maven project version). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = GeneveCommand.class.getPackage().getImplementationVersion();
            return new String[] {"geneve " + (version != null ? version : "(development build)"),
                "Java " + Runtime.version()};
        }
    }
}
