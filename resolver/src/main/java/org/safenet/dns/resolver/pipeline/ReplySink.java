package org.safenet.dns.resolver.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

/**
 * Where answers to one client go, for answers that come later (after an upstream round trip). UDP
 * and TCP frame answers differently, so each listener supplies its own.
 */
public interface ReplySink {
    /** A buffer to write one answer into, with any framing already reserved (TCP's length prefix). */
    ByteBuf newAnswerBuffer();

    /** Sends an answer written into a buffer from {@link #newAnswerBuffer()}; takes ownership. */
    void send(ByteBuf answer);

    /** The event loop the client's channel runs on; upstream work for it runs there too. */
    EventLoop eventLoop();

    /**
     * False while the client's connection has more queued than it reads (TCP): a sender of many
     * messages (a zone transfer) waits instead of queueing without bound.
     */
    default boolean writable() {
        return true;
    }

    /** False once the client's connection is closed (TCP). */
    default boolean open() {
        return true;
    }

    /** No answer will come for a query handed over earlier (shed under overload with {@code drop}). */
    default void dropped() {}
}
