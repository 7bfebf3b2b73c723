package org.safenet.dns.resolver.listen;

import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Native epoll where the platform has it, NIO elsewhere: the one place that chooses. */
public record Transports(
        boolean nativeEpoll,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends DatagramChannel> datagramChannel,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends Channel> socketChannel) {

    public static Transports best() {
        if (Epoll.isAvailable()) {
            return new Transports(
                    true,
                    EpollIoHandler.newFactory(),
                    EpollDatagramChannel.class,
                    EpollServerSocketChannel.class,
                    EpollSocketChannel.class);
        }
        return nio();
    }

    public static Transports nio() {
        return new Transports(
                false,
                NioIoHandler.newFactory(),
                NioDatagramChannel.class,
                NioServerSocketChannel.class,
                NioSocketChannel.class);
    }

    /**
     * A UDP channel of the address's own family. Netty's default is an IPv6 socket that also takes
     * IPv4 (mapped addresses), which sends every IPv4 answer through the IPv6 stack first.
     */
    public DatagramChannel newDatagramChannel(boolean ipv4) {
        SocketProtocolFamily family = ipv4 ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return nativeEpoll ? new EpollDatagramChannel(family) : new NioDatagramChannel(family);
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }

    public String name() {
        return nativeEpoll ? "epoll" : "nio";
    }
}
