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
}
