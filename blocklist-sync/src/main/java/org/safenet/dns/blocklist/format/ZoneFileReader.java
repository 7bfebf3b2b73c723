package org.safenet.dns.blocklist.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Splits a master file (RFC 1035 §5.1, as BIND and Knot write it) into records: a record is one
 * line, or several joined by parentheses; {@code ;} starts a comment anywhere outside a quoted
 * string; a quoted string is one token (its quotes and escapes kept, for the record's own parser
 * to read); {@code \X} and {@code \DDD} escape a character. What the tokens mean is the caller's.
 *
 * <p>A record that cannot be split (a quote or parenthesis left open, a {@code )} without its
 * {@code (}) comes back with an {@link Record#error()} and the reader goes on with the next line,
 * so one bad record costs one record.
 */
final class ZoneFileReader {
    /**
     * One record's tokens.
     *
     * @param line the line it starts on (1-based)
     * @param text its text as written (lines joined with a space), for reports
     * @param ownerBlank whether it starts with a blank: the owner is the previous record's
     * @param tokens its tokens, empty for a blank or comment-only line
     * @param error why it could not be split, else null
     */
    record Record(
            int line,
            String text,
            boolean ownerBlank,
            List<String> tokens,
            @Nullable String error) {}

    private final BufferedReader in;
    private final Runnable onLine;
    private int lineNumber;
    private boolean first = true;

    /** @param onLine called for every physical line read (for line counts) */
    ZoneFileReader(BufferedReader in, Runnable onLine) {
        this.in = in;
        this.onLine = onLine;
    }

    /** The next record, or null at the end of the file. */
    @Nullable
    Record next() throws IOException {
        String line = readLine();
        if (line == null) {
            return null;
        }
        int start = lineNumber;
        StringBuilder text = new StringBuilder(line);
        List<String> tokens = new ArrayList<>();
        boolean ownerBlank = !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t');
        int depth = 0;
        while (true) {
            String error = split(line, tokens, depth);
            if (error != null && !error.startsWith("(")) {
                return new Record(start, text.toString(), ownerBlank, tokens, error);
            }
            depth = error == null ? 0 : Integer.parseInt(error.substring(1));
            if (depth == 0) {
                return new Record(start, text.toString(), ownerBlank, tokens, null);
            }
            line = readLine();
            if (line == null) {
                return new Record(
                        start, text.toString(), ownerBlank, tokens, "a parenthesis opened here is never closed");
            }
            text.append(' ').append(line.strip());
        }
    }

    private @Nullable String readLine() throws IOException {
        String line = in.readLine();
        if (line == null) {
            return null;
        }
        lineNumber++;
        onLine.run();
        if (first && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
            line = line.substring(1); // byte order mark
        }
        first = false;
        return line;
    }

    /**
     * Adds {@code line}'s tokens to {@code out}, inside {@code depth} open parentheses. Returns
     * null when the record ends with this line, {@code "(N"} when N parentheses are still open,
     * else what is wrong.
     */
    private static @Nullable String split(String line, List<String> out, int depth) {
        StringBuilder token = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == '"') {
                flush(token, out);
                int close = i + 1;
                while (close < n && line.charAt(close) != '"') {
                    close += line.charAt(close) == '\\' ? 2 : 1;
                }
                if (close >= n) {
                    return "a quoted string is never closed";
                }
                out.add(line.substring(i, close + 1));
                i = close + 1;
                continue;
            }
            if (c == ';') {
                break;
            }
            if (c == '\\') {
                if (i + 1 >= n) {
                    return "a backslash at the end of a line";
                }
                token.append(c).append(line.charAt(i + 1));
                i += 2;
                continue;
            }
            if (c == '(' || c == ')' || c == ' ' || c == '\t') {
                flush(token, out);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth < 0) {
                    return "a closing parenthesis without an opening one";
                }
                i++;
                continue;
            }
            token.append(c);
            i++;
        }
        flush(token, out);
        return depth == 0 ? null : "(" + depth;
    }

    private static void flush(StringBuilder token, List<String> out) {
        if (!token.isEmpty()) {
            out.add(token.toString());
            token.setLength(0);
        }
    }
}
