package io.github.geneve4j.linux.xdp;

import java.io.IOException;

/**
 * The kernel refused a step of setting up XDP: loading or attaching the program, creating the map,
 * opening, sizing, mapping or binding the XDP socket. The message names the step, the kernel's
 * error, and what is usually missing ({@code CAP_BPF}/{@code CAP_NET_ADMIN}, {@code RLIMIT_MEMLOCK}
 * or {@code CAP_IPC_LOCK}, a driver without native XDP or zero-copy); when the verifier refused the
 * program, its log is in the message and in {@link #verifierLog()}.
 */
public final class XdpException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The {@code errno} the kernel returned. */
    private final int errno;
    /** The verifier's log, or empty. */
    private final String verifierLog;

    XdpException(String message, int errno) {
        this(message, errno, "");
    }

    XdpException(String message, int errno, String verifierLog) {
        super(verifierLog.isEmpty() ? message : message + "\nverifier log:\n" + verifierLog);
        this.errno = errno;
        this.verifierLog = verifierLog;
    }

    /**
     * The kernel's error number.
     *
     * @return {@code errno} of the refused call, e.g. 1 for {@code EPERM}
     */
    public int errno() {
        return errno;
    }

    /**
     * What the verifier wrote when it refused the program.
     *
     * @return the log, or an empty string when the verifier was not the one refusing
     */
    public String verifierLog() {
        return verifierLog;
    }
}
