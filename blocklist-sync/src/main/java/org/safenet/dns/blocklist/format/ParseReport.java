package org.safenet.dns.blocklist.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a parse found: counts, and the first {@value #MAX_ERRORS} bad lines with their numbers and
 * reasons. Bad lines never stop a parse (Blocky's resumable errors); a list with no valid entry
 * at all is the importer's error to raise.
 */
public final class ParseReport {
    static final int MAX_ERRORS = 100;

    /** A line that could not be used. */
    public record LineError(int line, String text, String reason) {
        @Override
        public String toString() {
            return "line " + line + ": " + reason + ": " + text;
        }
    }

    private final String source;
    private int lines;
    private int entries;
    private int ignored;
    private int invalid;
    private final Map<String, Integer> invalidByReason = new TreeMap<>();
    private final List<LineError> errors = new ArrayList<>();

    ParseReport(String source) {
        this.source = source;
    }

    void countLine() {
        lines++;
    }

    void countEntry() {
        entries++;
    }

    /** A comment, blank line, header or boilerplate line: nothing to import, nothing wrong. */
    void countIgnored() {
        ignored++;
    }

    void countInvalid(int line, String text, String reason) {
        invalid++;
        invalidByReason.merge(reason, 1, Integer::sum);
        if (errors.size() < MAX_ERRORS) {
            errors.add(new LineError(line, text.length() > 200 ? text.substring(0, 200) + "..." : text, reason));
        }
    }

    public String source() {
        return source;
    }

    public int lines() {
        return lines;
    }

    public int entries() {
        return entries;
    }

    public int ignored() {
        return ignored;
    }

    public int invalid() {
        return invalid;
    }

    public Map<String, Integer> invalidByReason() {
        return Collections.unmodifiableMap(invalidByReason);
    }

    /** The first bad lines, in file order. */
    public List<LineError> errors() {
        return Collections.unmodifiableList(errors);
    }

    @Override
    public String toString() {
        return source + ": " + lines + " lines, " + entries + " entries, " + ignored + " comments/blank, " + invalid
                + " invalid " + invalidByReason;
    }
}
