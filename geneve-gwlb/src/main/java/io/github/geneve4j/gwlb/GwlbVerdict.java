package io.github.geneve4j.gwlb;

/** What a {@link GwlbInspector} decides for one inner packet. */
public enum GwlbVerdict {
    /** Send the packet back to GWLB (as it stands in the buffer), which forwards it on. */
    FORWARD,
    /** Let the packet go no further: nothing is sent back, and GWLB drops it. */
    DROP
}
