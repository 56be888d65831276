package io.github.geneve4j.linux;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The two system calls that move an array of {@code struct mmsghdr} ({@link MessageHeader}s) in one
 * call: {@code recvmmsg} and {@code sendmmsg}, through downcall handles that take the array as a raw
 * address (a slice per call to point at the message to start from would be an object per call, see
 * {@link Libc}). As {@link LinuxSocket}'s {@code sendmsg} and {@code recvmsg}: a first try without
 * {@code errno} capture, and a failed one repeated with it to learn why, which is safe because a
 * failed call (of a non-blocking try) moved nothing.
 */
final class MultiMessage {

    /** {@code MSG_WAITFORONE}: wait for the first datagram only, then take what is queued ({@code linux/socket.h}). */
    static final int MSG_WAITFORONE = 0x10000;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    /** {@code int recvmmsg(int, struct mmsghdr *, unsigned int vlen, int flags, struct timespec *)}, pointers as addresses. */
    private static final FunctionDescriptor RECVMMSG_TYPE = FunctionDescriptor.of(INT, INT, LONG, INT, INT, LONG);
    /** {@code int sendmmsg(int, struct mmsghdr *, unsigned int vlen, int flags)}, the array as an address. */
    private static final FunctionDescriptor SENDMMSG_TYPE = FunctionDescriptor.of(INT, INT, LONG, INT, INT);
    private static final MethodHandle RECVMMSG = Libc.downcall("recvmmsg", RECVMMSG_TYPE, false);
    private static final MethodHandle RECVMMSG_ERRNO = Libc.downcall("recvmmsg", RECVMMSG_TYPE, true);
    private static final MethodHandle SENDMMSG = Libc.downcall("sendmmsg", SENDMMSG_TYPE, false);
    private static final MethodHandle SENDMMSG_ERRNO = Libc.downcall("sendmmsg", SENDMMSG_TYPE, true);

    private MultiMessage() {
    }

    /**
     * One {@code recvmmsg} of up to {@code count} messages into the array at native {@code messages},
     * without a timeout argument (its timeout is checked only between datagrams; the socket's
     * {@code SO_RCVTIMEO} bounds the wait): the messages received, or -1.
     */
    static int receive(int fd, long messages, int count, int flags) throws IOException {
        try {
            return (int) RECVMMSG.invokeExact(fd, messages, count, flags, 0L);
        } catch (Throwable t) {
            throw new IOException("recvmmsg failed: " + t, t);
        }
    }

    /**
     * As {@link #receive(int, long, int, int)}, capturing {@code errno} in {@code state}: the messages
     * received, or {@code -errno}.
     */
    static int receive(int fd, long messages, int count, int flags, MemorySegment state) throws IOException {
        try {
            int n = (int) RECVMMSG_ERRNO.invokeExact(state, fd, messages, count, flags, 0L);
            return n >= 0 ? n : -Libc.errno(state);
        } catch (Throwable t) {
            throw new IOException("recvmmsg failed: " + t, t);
        }
    }

    /**
     * One {@code sendmmsg} of the {@code count} messages at native {@code messages}, again after
     * {@code EINTR}: the messages sent, which are the first ones (the kernel stops at the first that
     * fails and reports those before it), or {@code -errno} when the first one failed.
     */
    static int send(int fd, long messages, int count, int flags, MemorySegment state) throws IOException {
        try {
            while (true) {
                int n = (int) SENDMMSG.invokeExact(fd, messages, count, flags);
                if (n >= 0) {
                    return n;
                }
                n = (int) SENDMMSG_ERRNO.invokeExact(state, fd, messages, count, flags);
                if (n >= 0) {
                    return n;
                }
                int errno = Libc.errno(state);
                if (errno != Libc.EINTR) {
                    return -errno;
                }
            }
        } catch (Throwable t) {
            throw new IOException("sendmmsg failed: " + t, t);
        }
    }
}
