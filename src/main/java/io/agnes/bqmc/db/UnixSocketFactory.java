package io.agnes.bqmc.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import javax.net.SocketFactory;

/**
 * PostgreSQL over its Unix socket ({@code DATABASE_URL=postgresql://user@/db?host=/run/postgresql}),
 * for the JDBC driver, which speaks TCP only unless given a socket factory: the JDK's own Unix
 * domain channels (Java 16+) wrapped as the {@link Socket} the driver expects. The driver names
 * this class and the socket's path ({@code socketFactoryArg}) in the JDBC URL that
 * {@link DatabaseUrl} builds; the host and port it asks for are ignored.
 */
public final class UnixSocketFactory extends SocketFactory {

    private final Path socket;

    /** @param socketPath the server's socket, {@code <directory>/.s.PGSQL.<port>} */
    public UnixSocketFactory(String socketPath) {
        this.socket = Path.of(socketPath);
    }

    @Override
    public Socket createSocket() {
        return new UnixSocket(socket);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected();
    }

    private Socket connected() throws IOException {
        UnixSocket s = new UnixSocket(socket);
        s.connect(null, 0);
        return s;
    }

    /** A Unix domain channel as a Socket: TCP's options do not apply and are accepted as no-ops. */
    private static final class UnixSocket extends Socket {
        private final Path path;
        private SocketChannel channel;
        private InputStream in;
        private OutputStream out;

        UnixSocket(Path path) {
            this.path = path;
        }

        @Override
        public void connect(SocketAddress ignored, int timeout) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(path));
            in = Channels.newInputStream(channel);
            out = Channels.newOutputStream(channel);
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            connect(endpoint, 0);
        }

        @Override
        public InputStream getInputStream() throws IOException {
            if (in == null) {
                throw new IOException("not connected to " + path);
            }
            return in;
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            if (out == null) {
                throw new IOException("not connected to " + path);
            }
            return out;
        }

        @Override
        public boolean isConnected() {
            return channel != null && channel.isConnected();
        }

        @Override
        public boolean isClosed() {
            return channel != null && !channel.isOpen();
        }

        @Override
        public synchronized void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
        }

        @Override
        public void shutdownInput() throws IOException {
            channel.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        // TCP's options: meaningless on a Unix socket (no read timeout either: the statement timeout bounds a query)
        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public void setSoTimeout(int timeout) {
        }

        @Override
        public int getSoTimeout() {
            return 0;
        }

        @Override
        public void setReceiveBufferSize(int size) {
        }

        @Override
        public void setSendBufferSize(int size) {
        }

        @Override
        public void setSoLinger(boolean on, int linger) {
        }
    }
}
