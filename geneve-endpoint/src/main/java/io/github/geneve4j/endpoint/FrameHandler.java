package io.github.geneve4j.endpoint;

/**
 * An in-process inner side: receives every frame the endpoint decapsulates, on the endpoint's
 * receive thread. To send, call {@link GeneveEndpoint#send}; to answer the sender of the frame at
 * hand, {@link GeneveEndpoint#reply} (from within {@link #onFrame}).
 *
 * <pre>{@code
 * FrameHandler echo = frame -> System.out.println(frame.length() + " bytes from " + frame.source());
 * }</pre>
 */
@FunctionalInterface
public interface FrameHandler {

    /**
     * Handles one decapsulated Ethernet frame. The frame and its memory are the endpoint's and are
     * reused once this returns: copy what you keep.
     *
     * @throws Exception to stop the endpoint: it closes, and the exception is its
     *     {@linkplain GeneveEndpoint#failure() failure}
     */
    void onFrame(ReceivedFrame frame) throws Exception;
}
