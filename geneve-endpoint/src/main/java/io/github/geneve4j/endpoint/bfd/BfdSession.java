package io.github.geneve4j.endpoint.bfd;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * One BFD session in asynchronous mode (RFC 5880 §6), Active role, without Demand mode, Echo or
 * authentication. It owns no thread and no timer: its caller feeds it packets and the time, and
 * asks it when a packet is due.
 *
 * <pre>{@code
 * BfdSession session = BfdSession.builder().timers(BfdTimers.ofMillis(300, 300, 3))
 *         .listener((s, from, to, diag) -> log(from, to, diag)).build();
 * // receive thread, per BFD packet of this peer:
 * if (view.tryWrap(frame, at, length) && session.onPacket(view, System.nanoTime()) == ACCEPTED_FINAL_DUE) wake();
 * // BFD thread:
 * long now = System.nanoTime();
 * while (session.poll(now)) { int n = session.writePacket(buffer, bfdOffset); send(buffer); }
 * park(session.nextDeadline() - now);
 * }</pre>
 *
 * <p>Time: the {@code nowNanos} arguments and the builder's clock (read by {@link #writePacket},
 * {@link #timers(BfdTimers)}, {@link #adminDown()} and {@link #enable()}) must be the same monotonic
 * nanosecond clock, {@link System#nanoTime()} by default, a simulated one in tests.
 *
 * <p>Timers: a periodic packet goes out every {@code max(local Desired Min TX, remote Required Min
 * RX)} (§6.8.7), reduced each time by a random 0–25% (so 75–100% of it; 75–90% when the local Detect
 * Mult is 1), and never while the peer asks for none (Required Min RX 0). While the session is not
 * Up, Desired Min TX is at least one second (§6.8.3). The detection time is the peer's Detect Mult
 * times {@code max(local Required Min RX, the peer's Desired Min TX)} (§6.8.4), restarted by every
 * accepted packet; when it passes, the session goes Down with diagnostic 1 (from Init or Up) and
 * forgets the peer's discriminator (§6.8.1), so that its next packets carry Your Discriminator 0 and
 * a peer that restarted with a new discriminator is recognised again.
 *
 * <p>Poll sequences (§6.5, §6.8.3): a change of the advertised intervals in Init or Up (the slow rate
 * lifted on coming Up included) sets Poll on the following periodic packets until a packet with Final
 * arrives. An increased Desired Min TX and a decreased Required Min RX take effect locally only then;
 * the opposite changes at once. A further change during a sequence waits for it to end and for one
 * more packet without Final (§6.8.3, the third choice), so the meaning of each Final is clear. A Poll
 * from the peer is answered with a packet with Final at once ({@link BfdReception#ACCEPTED_FINAL_DUE}),
 * outside the periodic schedule, which it leaves unchanged.
 *
 * <p>Threads: every method is {@code synchronized}, so a receive thread and a sending thread may
 * share a session; {@link #state()} and {@link #dataAllowed()} read a volatile field without the lock.
 * Nothing is allocated by {@code onPacket}, {@code poll}, {@code nextDeadline} or {@code writePacket}.
 */
public final class BfdSession {

    private final long localDiscriminator;
    private final LongSupplier clock;
    private final RandomGenerator random;
    private final BfdStateListener listener;

    private BfdTimers timers;

    // bfd.SessionState, bfd.LocalDiag
    private volatile BfdState state = BfdState.DOWN;
    private volatile boolean hasBeenUp;
    private BfdDiagnostic localDiagnostic = BfdDiagnostic.NONE;

    // what the last accepted packet said (§6.8.1 initial values)
    private long remoteDiscriminator;
    private BfdState remoteState = BfdState.DOWN;
    private int remoteDiagnostic;
    private int remoteDetectMult;
    private long remoteDesiredMinTx;
    private long remoteMinRx = 1;
    private boolean remoteDemand;

    // intervals in microseconds: advertised in our packets, and in effect for our own timers (they
    // differ during a Poll sequence, §6.8.3)
    private long advertisedMinTx;
    private long advertisedMinRx;
    private long minTxInEffect;
    private long minRxInEffect;

    private boolean pollActive;
    private boolean pollQueued;
    private boolean finalDue;
    private long finalDueSince;

    // nanoseconds on the caller's clock
    private boolean transmitted;
    private long lastTransmit;
    private long nextTransmit;
    private long scheduledInterval;
    private boolean detectionArmed;
    private long detectionDeadline;
    private long detectionTime;

    private long packetsSent;
    private long packetsAccepted;
    private long packetsDiscarded;
    private long upTransitions;

    private BfdSession(Builder builder) {
        this.clock = builder.clock;
        this.random = builder.random != null ? builder.random : new SplittableRandom();
        this.listener = builder.listener;
        this.timers = builder.timers;
        long discriminator = builder.localDiscriminator;
        while (discriminator == 0) {
            discriminator = random.nextLong() & 0xFFFF_FFFFL;
        }
        this.localDiscriminator = discriminator;
        long now = clock.getAsLong();
        this.advertisedMinTx = wantedMinTx();
        this.advertisedMinRx = timers.requiredMinRxMicros();
        this.minTxInEffect = advertisedMinTx;
        this.minRxInEffect = advertisedMinRx;
        // an Active session speaks first (§6.1): the first packet is due at once
        this.nextTransmit = now;
        this.scheduledInterval = transmitInterval();
    }

    /** A builder: OVS's default timers, {@link System#nanoTime()}, a random discriminator. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Takes in a control packet from this session's peer (RFC 5880 §6.8.6, from the step that
     * selects the session by Your Discriminator on).
     *
     * @param packet a view wrapped around a valid packet (the rules it checks are not repeated)
     * @param nowNanos the time of receipt
     * @return what became of it; {@link BfdReception#ACCEPTED_FINAL_DUE} asks for a packet at once
     * @throws IllegalStateException if the view is not wrapped around a valid packet
     */
    public synchronized BfdReception onPacket(BfdControlView packet, long nowNanos) {
        if (!packet.isValid()) {
            throw new IllegalStateException("view is not wrapped around a valid BFD control packet");
        }
        long yours = packet.yourDiscriminator();
        if (yours != 0 && yours != localDiscriminator) {
            packetsDiscarded++;
            return BfdReception.DISCARDED_WRONG_DISCRIMINATOR;
        }
        remoteDiscriminator = packet.myDiscriminator();
        remoteState = packet.state();
        remoteDiagnostic = packet.diagnosticCode();
        remoteDemand = packet.demand();
        remoteMinRx = packet.requiredMinRxMicros();
        remoteDesiredMinTx = packet.desiredMinTxMicros();
        remoteDetectMult = packet.detectMult();
        boolean fin = packet.finalFlag();
        if (fin && pollActive) {
            pollActive = false;
            minTxInEffect = advertisedMinTx;
            minRxInEffect = advertisedMinRx;
        } else if (!fin && pollQueued && !pollActive) {
            updateIntervals();
        }
        detectionTime = remoteDetectMult * Math.max(minRxInEffect, remoteDesiredMinTx) * 1000L;
        detectionArmed = true;
        detectionDeadline = nowNanos + detectionTime;
        reschedule(nowNanos);

        if (state == BfdState.ADMIN_DOWN) {
            packetsDiscarded++;
            return BfdReception.DISCARDED_ADMIN_DOWN;
        }
        BfdState remote = remoteState;
        if (remote == BfdState.ADMIN_DOWN) {
            if (state != BfdState.DOWN) {
                changeState(BfdState.DOWN, BfdDiagnostic.NEIGHBOR_SIGNALED_SESSION_DOWN, nowNanos);
            }
        } else {
            switch (state) {
                case DOWN -> {
                    if (remote == BfdState.DOWN) {
                        changeState(BfdState.INIT, localDiagnostic, nowNanos);
                    } else if (remote == BfdState.INIT) {
                        changeState(BfdState.UP, BfdDiagnostic.NONE, nowNanos);
                    }
                }
                case INIT -> {
                    if (remote == BfdState.INIT || remote == BfdState.UP) {
                        changeState(BfdState.UP, BfdDiagnostic.NONE, nowNanos);
                    }
                }
                case UP -> {
                    if (remote == BfdState.DOWN) {
                        changeState(BfdState.DOWN, BfdDiagnostic.NEIGHBOR_SIGNALED_SESSION_DOWN, nowNanos);
                    }
                }
                default -> throw new AssertionError(state);
            }
        }
        packetsAccepted++;
        if (packet.poll()) {
            finalDue = true;
            finalDueSince = nowNanos;
            return BfdReception.ACCEPTED_FINAL_DUE;
        }
        return BfdReception.ACCEPTED;
    }

    /**
     * Runs the timers up to {@code nowNanos}: the detection time (§6.8.4) may take the session
     * Down. Call it at {@link #nextDeadline()} at the latest.
     *
     * @return whether a packet is due (a Final, or the periodic one): then call {@link #writePacket}
     *     and send it, and call {@code poll} again
     */
    public synchronized boolean poll(long nowNanos) {
        if (detectionArmed && nowNanos >= detectionDeadline) {
            expire(nowNanos);
        }
        return finalDue || (periodicEnabled() && nowNanos >= nextTransmit);
    }

    /**
     * The latest time at which {@link #poll} must be called next: the next periodic packet or the
     * end of the detection time, whichever is first; the time of the Poll that asked for it when a
     * Final is due; {@link Long#MAX_VALUE} when nothing is scheduled.
     */
    public synchronized long nextDeadline() {
        if (finalDue) {
            return finalDueSince;
        }
        long deadline = periodicEnabled() ? nextTransmit : Long.MAX_VALUE;
        return detectionArmed ? Math.min(deadline, detectionDeadline) : deadline;
    }

    /**
     * Writes the packet that is due (24 bytes at {@code offset}): a Final if a Poll asked for one,
     * else the periodic packet (with Poll during a Poll sequence), after which the next periodic
     * packet is scheduled from the clock's time now. Call it when {@link #poll} or
     * {@link #onPacket} said a packet is due; called otherwise it sends the periodic packet early.
     *
     * @return {@value Bfd#CONTROL_PACKET_LENGTH}
     * @throws IllegalArgumentException if fewer than 24 bytes remain from {@code offset}
     */
    public synchronized int writePacket(MemorySegment target, long offset) {
        BfdWire.checkTarget(target, offset);
        int flags;
        if (finalDue) {
            // a Final goes out beside the periodic schedule and never carries Poll (§6.5)
            finalDue = false;
            flags = BfdWire.FINAL;
        } else {
            long now = clock.getAsLong();
            flags = pollActive ? BfdWire.POLL : 0;
            transmitted = true;
            lastTransmit = now;
            scheduledInterval = transmitInterval();
            nextTransmit = now + jittered(scheduledInterval);
        }
        BfdWire.write(target, offset, localDiagnostic.code(), state.code(), flags, timers.detectMult(),
                localDiscriminator, remoteDiscriminator, advertisedMinTx, advertisedMinRx, 0);
        packetsSent++;
        return Bfd.CONTROL_PACKET_LENGTH;
    }

    /**
     * Changes the configured timers. A change of the advertised intervals starts a Poll sequence in
     * Init or Up (§6.8.3); a new Detect Mult goes out in the next packet without one (§6.8.12).
     */
    public synchronized void timers(BfdTimers newTimers) {
        this.timers = Objects.requireNonNull(newTimers, "timers");
        updateIntervals();
        reschedule(clock.getAsLong());
    }

    /**
     * Takes the session administratively down (§6.8.16): state AdminDown, diagnostic 7. It keeps
     * sending at the slow rate, so that the peer learns of it and the session can come back without
     * the peer's detection time passing first; received packets are discarded.
     */
    public synchronized void adminDown() {
        if (state != BfdState.ADMIN_DOWN) {
            changeState(BfdState.ADMIN_DOWN, BfdDiagnostic.ADMINISTRATIVELY_DOWN, clock.getAsLong());
        }
    }

    /** Ends {@link #adminDown()}: the session goes Down and starts again (§6.8.16). */
    public synchronized void enable() {
        if (state == BfdState.ADMIN_DOWN) {
            changeState(BfdState.DOWN, localDiagnostic, clock.getAsLong());
        }
    }

    private void expire(long now) {
        detectionArmed = false;
        // §6.8.1: a detection time without a packet forgets the peer, so that our packets carry Your
        // Discriminator 0 and a peer restarted with a new discriminator is taken in again
        remoteDiscriminator = 0;
        remoteState = BfdState.DOWN;
        remoteDiagnostic = 0;
        remoteDetectMult = 0;
        remoteDesiredMinTx = 0;
        remoteMinRx = 1;
        remoteDemand = false;
        if (state == BfdState.INIT || state == BfdState.UP) {
            changeState(BfdState.DOWN, BfdDiagnostic.CONTROL_DETECTION_TIME_EXPIRED, now);
        } else {
            reschedule(now);
        }
    }

    private void changeState(BfdState next, BfdDiagnostic diagnostic, long now) {
        BfdState previous = state;
        state = next;
        localDiagnostic = diagnostic;
        if (next == BfdState.UP) {
            hasBeenUp = true;
            upTransitions++;
        }
        updateIntervals();
        reschedule(now);
        listener.stateChanged(this, previous, next, diagnostic);
    }

    // §6.8.3: what Desired Min TX should be in this state
    private long wantedMinTx() {
        long configured = timers.desiredMinTxMicros();
        return state == BfdState.UP ? configured : Math.max(configured, Bfd.SLOW_TX_MICROS);
    }

    private void updateIntervals() {
        long wantedTx = wantedMinTx();
        long wantedRx = timers.requiredMinRxMicros();
        if (state == BfdState.DOWN || state == BfdState.ADMIN_DOWN) {
            // nobody relies on our timers: take the new values at once, no Poll
            pollActive = false;
            pollQueued = false;
            advertisedMinTx = minTxInEffect = wantedTx;
            advertisedMinRx = minRxInEffect = wantedRx;
            return;
        }
        if (wantedTx == advertisedMinTx && wantedRx == advertisedMinRx) {
            pollQueued = false;
            return;
        }
        if (pollActive) {
            pollQueued = true; // advertised only by the next sequence, so that each Final is unambiguous
            return;
        }
        advertisedMinTx = wantedTx;
        advertisedMinRx = wantedRx;
        // in Up, a slower TX and a faster RX wait for the Final; the safe directions apply at once
        if (state != BfdState.UP || wantedTx < minTxInEffect) {
            minTxInEffect = wantedTx;
        }
        if (state != BfdState.UP || wantedRx > minRxInEffect) {
            minRxInEffect = wantedRx;
        }
        pollActive = true;
        pollQueued = false;
    }

    // the periodic interval in nanoseconds (§6.8.7), 0 while the peer wants no periodic packets
    private long transmitInterval() {
        return remoteMinRx == 0 ? 0 : Math.max(minTxInEffect, remoteMinRx) * 1000L;
    }

    private boolean periodicEnabled() {
        if (remoteMinRx == 0) {
            return false; // §6.8.7: the peer asks for no periodic packets
        }
        // §6.8.6: the peer in Demand mode with both sides Up wants no periodic packets, Polls aside
        return !(remoteDemand && state == BfdState.UP && remoteState == BfdState.UP && !pollActive);
    }

    private void reschedule(long now) {
        long interval = transmitInterval();
        if (interval == scheduledInterval || interval == 0) {
            return;
        }
        // §6.8.7: the new interval counts from the last packet sent; never earlier than now
        scheduledInterval = interval;
        long next = transmitted ? lastTransmit + jittered(interval) : now;
        nextTransmit = Math.max(next, now);
    }

    // §6.8.7: reduced by a random 0..25%; by 10..25% when bfd.DetectMult is 1
    private long jittered(long interval) {
        long least = timers.detectMult() == 1 ? interval / 10 : 0;
        return interval - random.nextLong(least, interval / 4 + 1);
    }

    /** bfd.SessionState (lock-free read). */
    public BfdState state() {
        return state;
    }

    /**
     * Whether data frames may go to this session's peer: while the session is Up, and before it has
     * first come Up (a peer that never answered BFD is not cut off by it). An endpoint that gates data
     * on BFD reads this on its send path (lock-free).
     */
    public boolean dataAllowed() {
        return state == BfdState.UP || !hasBeenUp;
    }

    /** Whether the session has been Up at least once. */
    public boolean hasBeenUp() {
        return hasBeenUp;
    }

    /** bfd.LocalDiag: the diagnostic our packets carry. */
    public synchronized BfdDiagnostic diagnostic() {
        return localDiagnostic;
    }

    /** bfd.LocalDiscr, unsigned (never 0). */
    public long localDiscriminator() {
        return localDiscriminator;
    }

    /** bfd.RemoteDiscr, unsigned; 0 until a packet is accepted and after the detection time passes. */
    public synchronized long remoteDiscriminator() {
        return remoteDiscriminator;
    }

    /** bfd.RemoteSessionState. */
    public synchronized BfdState remoteState() {
        return remoteState;
    }

    /** The raw Diag field of the last accepted packet. */
    public synchronized int remoteDiagnosticCode() {
        return remoteDiagnostic;
    }

    /** The configured timers. */
    public synchronized BfdTimers timers() {
        return timers;
    }

    /** Desired Min TX as our packets advertise it now, in microseconds (≥ 1 s while not Up). */
    public synchronized long advertisedMinTxMicros() {
        return advertisedMinTx;
    }

    /** Required Min RX as our packets advertise it now, in microseconds. */
    public synchronized long advertisedMinRxMicros() {
        return advertisedMinRx;
    }

    /** The negotiated periodic interval before jitter, in nanoseconds; 0 while the peer wants none. */
    public synchronized long transmitIntervalNanos() {
        return transmitInterval();
    }

    /** The detection time computed at the last accepted packet, in nanoseconds; 0 before any. */
    public synchronized long detectionTimeNanos() {
        return detectionTime;
    }

    /** Whether our Poll sequence is under way (our periodic packets carry Poll). */
    public synchronized boolean pollInProgress() {
        return pollActive;
    }

    /** Packets written by {@link #writePacket}. */
    public synchronized long packetsSent() {
        return packetsSent;
    }

    /** Packets {@link #onPacket} accepted. */
    public synchronized long packetsAccepted() {
        return packetsAccepted;
    }

    /** Packets {@link #onPacket} discarded (wrong discriminator, AdminDown). */
    public synchronized long packetsDiscarded() {
        return packetsDiscarded;
    }

    /** How many times the session has come Up. */
    public synchronized long upTransitions() {
        return upTransitions;
    }

    /** Everything above at one instant (one lock), for statistics. */
    public synchronized BfdSessionStatus status() {
        return new BfdSessionStatus(state, localDiagnostic, remoteState, localDiscriminator, remoteDiscriminator,
                dataAllowed(), upTransitions, packetsSent, packetsAccepted, packetsDiscarded, detectionTime);
    }

    @Override
    public synchronized String toString() {
        return "BfdSession[" + state + " (" + localDiagnostic + ") local 0x" + Long.toHexString(localDiscriminator)
                + " remote 0x" + Long.toHexString(remoteDiscriminator) + " " + remoteState + " tx "
                + advertisedMinTx + "us rx " + advertisedMinRx + "us mult " + timers.detectMult()
                + (pollActive ? " polling" : "") + "]";
    }

    /** Builds a {@link BfdSession}; every setting has a default. */
    public static final class Builder {

        private long localDiscriminator;
        private BfdTimers timers = BfdTimers.OVS_DEFAULTS;
        private LongSupplier clock = System::nanoTime;
        private RandomGenerator random;
        private BfdStateListener listener = BfdStateListener.NONE;

        private Builder() {
        }

        /**
         * bfd.LocalDiscr (§6.8.1): non-zero and unique among the sessions of one endpoint (the
         * caller's duty). Default: random.
         *
         * @throws IllegalArgumentException unless in {@code 1..2^32-1}
         */
        public Builder localDiscriminator(long discriminator) {
            if (discriminator < 1 || discriminator > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("local discriminator " + discriminator
                        + " (expected: 1..4294967295)");
            }
            this.localDiscriminator = discriminator;
            return this;
        }

        /** The timers. Default: {@link BfdTimers#OVS_DEFAULTS}. */
        public Builder timers(BfdTimers timers) {
            this.timers = Objects.requireNonNull(timers, "timers");
            return this;
        }

        /** The monotonic nanosecond clock. Default: {@link System#nanoTime()}. */
        public Builder clock(LongSupplier nanoTime) {
            this.clock = Objects.requireNonNull(nanoTime, "clock");
            return this;
        }

        /** The source of jitter (and of the default discriminator). Default: a fresh {@link SplittableRandom}. */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /** Told of every state change. Default: {@link BfdStateListener#NONE}. */
        public Builder listener(BfdStateListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** A session in state Down whose first packet is due at once. */
        public BfdSession build() {
            return new BfdSession(this);
        }
    }
}
