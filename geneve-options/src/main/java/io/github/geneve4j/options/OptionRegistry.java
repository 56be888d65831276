package io.github.geneve4j.options;

import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.aws.GwlbOptions;
import io.github.geneve4j.options.cilium.CiliumDsr;
import io.github.geneve4j.options.cpacket.CpacketMetadata;
import io.github.geneve4j.options.google.GcpOptions;
import io.github.geneve4j.options.linux.GroHint;
import io.github.geneve4j.options.nat64.Nat64Options;
import io.github.geneve4j.options.ovn.OvnPortKeys;
import io.github.geneve4j.options.oxide.OxideOptions;
import io.github.geneve4j.options.telemetry.IntOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The options a receiver understands, keyed by (class, type). Built once, then immutable and safe
 * to share between threads; {@link #lookup(int, int)} allocates nothing (an open-addressing table of
 * int keys).
 *
 * <pre>{@code
 * OptionRegistry registry = OptionRegistry.builder()
 *         .registerAll(OptionRegistry.defaults())
 *         .register(OptionDescriptor.raw(0xFFFF, 0x80, "lab tag", LengthRule.fixed(4)))
 *         .build();
 * OptionDescriptor<?> d = registry.lookup(0x0108, 3);   // AWS GWLB flow cookie
 * Object value = registry.decode(option);   // a FlowCookie; an unknown option: the option itself
 * }</pre>
 *
 * <p>Typed reads go through a descriptor, whose type parameter is its value's
 * ({@code GwlbOptions.FLOW_COOKIE.decode(cursor)} is a {@code FlowCookie}), or, with no allocation at
 * all, through the value type's cursor readers ({@code GwlbOptions.FlowCookie.read(cursor)}, an
 * {@code int}).
 */
public final class OptionRegistry {

    private static final OptionRegistry DEFAULTS = builder()
            .register(GwlbOptions.ENDPOINT_ID)
            .register(GwlbOptions.ATTACHMENT_ID)
            .register(GwlbOptions.FLOW_COOKIE)
            .register(OvnPortKeys.DESCRIPTOR)
            .register(GcpOptions.VNID)
            .register(GcpOptions.ENDPOINT)
            .register(GcpOptions.PROFILE)
            .register(CiliumDsr.DESCRIPTOR)
            .register(OxideOptions.EXTERNAL)
            .register(OxideOptions.MULTICAST)
            .register(OxideOptions.MSS)
            .register(CpacketMetadata.DESCRIPTOR)
            .register(IntOptions.MD)
            .register(IntOptions.DESTINATION)
            .register(IntOptions.MX)
            .register(GroHint.DESCRIPTOR)
            .register(Nat64Options.BYPASS)
            .register(Nat64Options.AUDIT_MIRROR)
            .build();

    private final int[] keys;          // (class << 8 | type) + 1; 0 marks an empty slot
    private final OptionDescriptor<?>[] values;
    private final int mask;
    private final List<OptionDescriptor<?>> descriptors;

    private OptionRegistry(List<OptionDescriptor<?>> descriptors) {
        int capacity = 16;
        while (capacity < descriptors.size() * 2) {
            capacity <<= 1;
        }
        keys = new int[capacity];
        values = new OptionDescriptor<?>[capacity];
        mask = capacity - 1;
        for (OptionDescriptor<?> d : descriptors) {
            int key = key(d.optionClass(), d.type());
            int slot = slot(key);
            while (keys[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            values[slot] = d;
        }
        this.descriptors = Collections.unmodifiableList(new ArrayList<>(descriptors));
    }

    private static int key(int optionClass, int type) {
        return ((optionClass & 0xFFFF) << 8 | (type & 0xFF)) + 1;
    }

    private int slot(int key) {
        return (key * 0x9E3779B9 >>> 16) & mask;
    }

    /**
     * The registry of every typed option this library knows: AWS GWLB, OVN, Google Cloud, Cilium DSR,
     * Oxide, cPacket, INT over Geneve, the Linux GRO hint and nat64.net.
     */
    public static OptionRegistry defaults() {
        return DEFAULTS;
    }

    /** A builder of a registry, empty; {@code registerAll(defaults())} starts from the known options. */
    public static Builder builder() {
        return new Builder();
    }

    /** The descriptor of (class, type), or {@code null}. Allocates nothing. */
    public OptionDescriptor<?> lookup(int optionClass, int type) {
        int key = key(optionClass, type);
        int slot = slot(key);
        for (int k; (k = keys[slot]) != 0; slot = (slot + 1) & mask) {
            if (k == key) {
                return values[slot];
            }
        }
        return null;
    }

    /** Whether (class, type) is registered. */
    public boolean contains(int optionClass, int type) {
        return lookup(optionClass, type) != null;
    }

    /** Every descriptor, in registration order. */
    public List<OptionDescriptor<?>> descriptors() {
        return descriptors;
    }

    /**
     * The value of {@code option}: its typed value when its (class, type) has a typed codec; the
     * option itself when it is unknown or registered raw (kept byte for byte, as the ClassFile API
     * keeps an unknown attribute).
     *
     * @throws io.github.geneve4j.codec.GeneveFormatException when a known option's data breaks its layout
     */
    public Object decode(GeneveOption option) {
        OptionDescriptor<?> d = lookup(option.optionClass(), option.type());
        return d == null ? option : d.decode(option);
    }

    /**
     * The value of the option the cursor is on, as {@link #decode(GeneveOption)}, read in place for a
     * typed option (an unknown one is copied out as a {@link GeneveOption}).
     *
     * @throws io.github.geneve4j.codec.GeneveFormatException when a known option's data breaks its
     *     layout (offsets from the first byte of the Geneve header)
     */
    public Object decode(GeneveOptionCursor cursor) {
        OptionDescriptor<?> d = lookup(cursor.optionClass(), cursor.type());
        return d == null ? cursor.toOption() : d.decode(cursor);
    }

    /**
     * The typed value of {@code option} by {@code descriptor}, when the registry holds that
     * descriptor for its (class, type): {@code registry.decode(GwlbOptions.FLOW_COOKIE, option)} is a
     * {@code FlowCookie}.
     *
     * @throws IllegalArgumentException if the registry holds another descriptor, or none, for the
     *     descriptor's (class, type)
     * @throws io.github.geneve4j.codec.GeneveFormatException as {@link OptionDescriptor#decode(GeneveOption)}
     */
    public <T> T decode(OptionDescriptor<T> descriptor, GeneveOption option) {
        return registered(descriptor).decode(option);
    }

    /** As {@link #decode(OptionDescriptor, GeneveOption)}, from the option the cursor is on, read in place. */
    public <T> T decode(OptionDescriptor<T> descriptor, GeneveOptionCursor cursor) {
        return registered(descriptor).decode(cursor);
    }

    private <T> OptionDescriptor<T> registered(OptionDescriptor<T> descriptor) {
        if (lookup(descriptor.optionClass(), descriptor.type()) != descriptor) {
            throw new IllegalArgumentException("not registered here: " + descriptor);
        }
        return descriptor;
    }

    /** Builds a registry; not thread-safe. */
    public static final class Builder {

        private final Map<Integer, OptionDescriptor<?>> byKey = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Adds a descriptor.
         *
         * @throws IllegalArgumentException if its (class, type) is registered already
         */
        public Builder register(OptionDescriptor<?> descriptor) {
            Objects.requireNonNull(descriptor, "descriptor");
            OptionDescriptor<?> earlier = byKey.putIfAbsent(key(descriptor.optionClass(), descriptor.type()), descriptor);
            if (earlier != null) {
                throw new IllegalArgumentException(String.format(
                        "class 0x%04x type 0x%02x is registered already (as %s)",
                        descriptor.optionClass(), descriptor.type(), earlier.name()));
            }
            return this;
        }

        /** Adds every descriptor of {@code registry}. */
        public Builder registerAll(OptionRegistry registry) {
            registry.descriptors().forEach(this::register);
            return this;
        }

        /** The registry of what was registered (immutable and thread-safe). */
        public OptionRegistry build() {
            return new OptionRegistry(new ArrayList<>(byKey.values()));
        }
    }
}
