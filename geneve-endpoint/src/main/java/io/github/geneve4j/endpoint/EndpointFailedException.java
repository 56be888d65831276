package io.github.geneve4j.endpoint;

import java.io.IOException;

/**
 * Thrown by {@link GeneveEndpoint#close()} when the endpoint had stopped by itself: a worker failed
 * (a handler threw, the device or the socket went away). The cause is that failure.
 */
public final class EndpointFailedException extends IOException {

    private static final long serialVersionUID = 1L;

    EndpointFailedException(Throwable cause) {
        super("the endpoint stopped: " + cause, cause);
    }
}
