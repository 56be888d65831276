package io.github.geneve4j.endpoint;

/**
 * An in-process inner side: receives every frame the endpoint decapsulates, on the endpoint's
 * receive thread. It answers the sender of the frame at hand through the frame,
 * {@link ReceivedFrame#reply} (no reference to the endpoint needed, so none to set after
 * {@code start()}); to send on its own, a program calls {@link GeneveEndpoint#send}.
 *
 * <pre>{@code
 * FrameHandler echo = frame -> {
 *     System.out.println(frame.length() + " bytes from " + frame.source());
 *     frame.reply(frame.bytes(), 0, frame.length());   // back to whoever sent it
 * };
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
