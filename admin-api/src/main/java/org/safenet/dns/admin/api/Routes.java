package org.safenet.dns.admin.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's route table: method, path pattern ({@code /api/v1/entries/{name}}), the least
 * role that may call it, and the handler. The OpenAPI test walks {@link #all()} so that no route
 * goes undocumented.
 */
public final class Routes {
    /** Handles one call; returns the body to send as JSON (or a {@link Created}, or an answer). */
    @FunctionalInterface
    public interface Handler {
        Object handle(ApiRequest request) throws Exception;
    }

    /** A 201 with the created resource as the body. */
    public record Created(Object body) {}

    /**
     * @param role null: no token needed
     */
    public record Route(
            String method, String pattern, @Nullable Role role, Handler handler, Pattern regex) {}

    /** A matched route and the values of its path parameters. */
    public record Match(Route route, Map<String, String> params) {}

    private static final Pattern PARAM = Pattern.compile("\\{([a-zA-Z]+)}");

    private final List<Route> routes = new ArrayList<>();

    public void add(String method, String pattern, @Nullable Role role, Handler handler) {
        String regex = PARAM.matcher(Pattern.quote(pattern)).replaceAll("\\\\E(?<$1>[^/]+)\\\\Q");
        routes.add(new Route(method, pattern, role, handler, Pattern.compile(regex)));
    }

    public List<Route> all() {
        return List.copyOf(routes);
    }

    /** The route for {@code method} and {@code path}; null if none. {@code allowed} collects methods the path has. */
    public @Nullable Match find(String method, String path, List<String> allowed) {
        for (Route r : routes) {
            Matcher m = r.regex().matcher(path);
            if (!m.matches()) {
                continue;
            }
            if (!r.method().equals(method)) {
                allowed.add(r.method());
                continue;
            }
            Map<String, String> params = new LinkedHashMap<>();
            Matcher names = PARAM.matcher(r.pattern());
            while (names.find()) {
                params.put(names.group(1), m.group(names.group(1)));
            }
            return new Match(r, params);
        }
        return null;
    }
}
