package io.agnes.bqmc.bigquery;

import java.net.URI;
import java.util.List;
import java.util.Locale;

import org.apache.http.HttpException;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.auth.AuthScope;
import org.apache.http.auth.UsernamePasswordCredentials;
import org.apache.http.client.CredentialsProvider;
import org.apache.http.impl.client.BasicCredentialsProvider;
import org.apache.http.impl.conn.DefaultRoutePlanner;
import org.apache.http.protocol.HttpContext;

/**
 * The standard proxy variables, as curl and most tools read them: {@code HTTPS_PROXY} for https
 * targets, {@code HTTP_PROXY} for http ones (lower case too), and {@code NO_PROXY} for hosts to
 * reach directly (a comma list of host names, domain suffixes like {@code .corp} or
 * {@code corp}, addresses, or {@code *}). A proxy URL may carry {@code user:password@}.
 *
 * @param https null when none
 * @param http  null when none
 */
public record HttpProxies(URI https, URI http, List<String> noProxy) {

    public static final HttpProxies NONE = new HttpProxies(null, null, List.of());

    /** A proxy URL ({@code http://[user:password@]host[:port]}; the scheme may be left out). */
    public static URI parseProxy(String value) {
        try {
            URI uri = URI.create(value.contains("://") ? value.strip() : "http://" + value.strip());
            if (uri.getHost() != null && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // said below
        }
        throw new IllegalArgumentException("a proxy URL such as http://proxy.corp:3128");
    }

    /** {@code NO_PROXY}'s comma list. */
    public static List<String> parseNoProxy(String value) {
        return List.of(value.split(",")).stream().map(s -> s.strip().toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty()).toList();
    }

    public boolean isEmpty() {
        return https == null && http == null;
    }

    /** The proxy for a target, or null to go direct. */
    URI proxyFor(String scheme, String host) {
        if (bypassed(host.toLowerCase(Locale.ROOT))) {
            return null;
        }
        return "https".equalsIgnoreCase(scheme) ? https : http;
    }

    private boolean bypassed(String host) {
        for (String entry : noProxy) {
            String name = entry.replaceFirst(":\\d+$", "");
            if (name.equals("*") || host.equals(name) || host.equals(name.replaceFirst("^\\.", ""))
                    || host.endsWith(name.startsWith(".") ? name : "." + name)) {
                return true;
            }
        }
        return false;
    }

    /** For Apache HttpClient: picks the proxy, or none, per target. */
    DefaultRoutePlanner routePlanner() {
        return new DefaultRoutePlanner(null) {
            @Override
            protected HttpHost determineProxy(HttpHost target, HttpRequest request, HttpContext context)
                    throws HttpException {
                URI proxy = proxyFor(target.getSchemeName(), target.getHostName());
                return proxy == null ? null : new HttpHost(proxy.getHost(), proxy.getPort() > 0 ? proxy.getPort()
                        : "https".equals(proxy.getScheme()) ? 443 : 80, proxy.getScheme());
            }
        };
    }

    /** The proxies' own credentials, where their URLs carry them. */
    CredentialsProvider credentials() {
        BasicCredentialsProvider provider = new BasicCredentialsProvider();
        for (URI proxy : new URI[] {https, http}) {
            if (proxy != null && proxy.getUserInfo() != null) {
                String[] parts = proxy.getUserInfo().split(":", 2);
                provider.setCredentials(new AuthScope(proxy.getHost(), proxy.getPort()),
                        new UsernamePasswordCredentials(parts[0], parts.length > 1 ? parts[1] : ""));
            }
        }
        return provider;
    }

    /** Without credentials, for logs. */
    @Override
    public String toString() {
        return "https=" + hostPort(https) + " http=" + hostPort(http) + " no_proxy=" + noProxy;
    }

    private static String hostPort(URI proxy) {
        return proxy == null ? "-" : proxy.getScheme() + "://" + proxy.getHost() + (proxy.getPort() > 0 ? ":" + proxy.getPort() : "");
    }
}
