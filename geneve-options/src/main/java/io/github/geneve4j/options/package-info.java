/**
 * Geneve options: the registry of known options ({@link io.github.geneve4j.options.OptionRegistry} of
 * {@link io.github.geneve4j.options.OptionDescriptor}s by class and type), the IANA option classes
 * ({@link io.github.geneve4j.options.OptionClass}), typed options, a header builder that computes the C bit,
 * and the receive policy of RFC 8926 §3.5 ({@link io.github.geneve4j.options.ReceivePolicy}: an unknown
 * critical option means drop) with its allocation-free {@link io.github.geneve4j.options.Verdict}.
 */
package io.github.geneve4j.options;
