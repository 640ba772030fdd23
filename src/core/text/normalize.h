/*
 * normalize: turns a complaint's raw text into the cleaned text that every
 * later stage (PII masking, segmentation, deduplication, classification)
 * reads. The caller keeps the original; this module only writes the cleaned
 * copy and says, as a bitmask, what it had to correct, so a data-quality
 * report can count how often each problem occurs.
 *
 * The rules, applied in one left-to-right pass over UTF-8 bytes:
 *
 *   HTML      A tag is removed when it is a known HTML element name
 *             (`<p>`, `</div>`, `<br/>`, `<span style="...">`, about 110
 *             names, case-insensitive), a comment `<!-- ... -->`, a
 *             declaration `<!DOCTYPE ...>` or a processing instruction
 *             `<? ... ?>`. Anything else starting with '<' is text, so
 *             `价格<100元` and `a<b` survive. The contents of <script> and
 *             <style> are removed with their tags. Block elements (p, div,
 *             br, li, tr, td, h1-h6, ...) leave a word break, inline ones
 *             (b, span, a, ...) nothing. The price of accepting tags with
 *             attributes: `a<b and c>d` reads as a <b> tag and becomes
 *             `ad`.                                          NORMALIZE_HTML
 *   entities  `&#NNN;`, `&#xHHH;` and about 50 common named entities
 *             (`&amp; &lt; &gt; &quot; &apos; &nbsp; &hellip; &ldquo; &yen;`
 *             ...) are decoded, once (`&amp;lt;` gives `&lt;`); the ';' is
 *             required; unknown names stay as they are. A decoded '<' is
 *             text, never markup. The decoded character then goes through
 *             the rules below like any other.            NORMALIZE_ENTITIES
 *   width     Full-width forms U+FF01..U+FF5E become ASCII (Ａ→A, ０→0,
 *             ＠→@, （→(, ．→.), U+3000 becomes a space, half-width CJK
 *             punctuation U+FF61..U+FF65 becomes the normal forms (｡→。
 *             ､→、) and ￥ ￠ ￡ become ¥ ¢ £. EXCEPT the seven Chinese
 *             sentence marks ！ ， ： ； ？ which stay full-width (they are
 *             the canonical Chinese forms, see punct).      NORMALIZE_WIDTH
 *   punct     (1) ASCII , ! ? ; : right after a Chinese character or
 *             Chinese punctuation (spaces between ignored) become ， ！ ？
 *             ； ： — so `太差了!` and `太差了！` read the same, while
 *             `10:30`, `3,000` and `Hello, world!` keep ASCII.
 *             An ASCII '.' after Chinese text becomes 。 unless a letter or
 *             digit follows (`好的.`→`好的。`, but `中文.com` stays), and two
 *             or more become …… (`等了很久...`→`等了很久……`).
 *             (2) A run of one of ！ ？ ， 。 、 ； ： ~ ! ? (spaces
 *             between ignored) collapses to one mark: `！！！`→`！`.
 *             (3) Any run of … and any run of two or more 。 becomes the
 *             Chinese ellipsis `……`.
 *             (4) A ， or 、 right before ！ ？ or 。 goes: `好，！`→`好！`.
 *             (5) Corner quotes become curly ones: 「」→“” and 『』→‘’.
 *                                                          NORMALIZE_PUNCT
 *   space     Runs of whitespace (ASCII, NBSP, U+2000..U+200A, U+2028/9,
 *             U+202F, U+205F, U+3000, and line breaks) become one ASCII
 *             space; leading and trailing whitespace goes; a space between
 *             two Chinese characters (or Chinese punctuation) goes, since
 *             Chinese does not separate words. Only a change counts: a
 *             single ASCII space between two words is not a correction.
 *                                                     NORMALIZE_WHITESPACE
 *   control   C0 and C1 control characters (other than whitespace), DEL,
 *             zero-width characters (U+200B..U+200D, U+2060..U+2064,
 *             U+FEFF), bidirectional controls, soft hyphens, variation
 *             selectors, Unicode tag characters, private-use characters
 *             and U+FFFD are removed.                    NORMALIZE_CONTROL
 *   emoji     Pictographs (U+1F000..U+1FAFF), miscellaneous symbols and
 *             dingbats (U+2600..U+27BF), U+2B00..U+2BFF, ⌚⌛ and
 *             U+23E9..U+23FA and the keycap mark U+20E3 are removed and
 *             leave a word break, unless NORMALIZE_KEEP_EMOJI is given.
 *             Sentiment is read from words; emoji mostly add noise to
 *             deduplication and segmentation.              NORMALIZE_EMOJI
 *   UTF-8     Bytes that are not valid UTF-8 are dropped.  NORMALIZE_BAD_UTF8
 *
 * ASCII letters keep their case; traditional characters are left to t2s.
 * The output is valid UTF-8 and at most three times as long as the input
 * (growth comes only from ASCII marks becoming 3-byte Chinese ones and …
 * becoming ……). Pure function: no allocation besides the output buffer's growth,
 * no global state, safe to call from any number of threads.
 */
#ifndef KESU_NORMALIZE_H
#define KESU_NORMALIZE_H

#include <stddef.h>

#include "base/strbuf.h"

/* What was corrected: the return value of normalize_text(). */
enum {
    NORMALIZE_HTML = 1u << 0,       /* tags, comments or script/style removed */
    NORMALIZE_ENTITIES = 1u << 1,   /* HTML character references decoded */
    NORMALIZE_WIDTH = 1u << 2,      /* full-/half-width forms unified */
    NORMALIZE_PUNCT = 1u << 3,      /* punctuation unified or collapsed */
    NORMALIZE_WHITESPACE = 1u << 4, /* whitespace collapsed, trimmed or removed */
    NORMALIZE_CONTROL = 1u << 5,    /* control or invisible characters removed */
    NORMALIZE_EMOJI = 1u << 6,      /* emoji and pictographs removed */
    NORMALIZE_BAD_UTF8 = 1u << 7,   /* invalid UTF-8 bytes dropped */
    NORMALIZE_TRUNCATED = 1u << 8,  /* the output buffer's cap was reached */
};
#define NORMALIZE_NFLAGS 9

/* Options for normalize_text(). */
enum {
    NORMALIZE_KEEP_EMOJI = 1u << 0, /* leave emoji and pictographs in */
};

/*
 * Appends the cleaned form of s[0..len) to out (it is not reset first) and
 * returns the NORMALIZE_* bits of what was corrected, 0 when the text was
 * already clean (the appended bytes then equal the input). opts is a set of
 * NORMALIZE_KEEP_* bits or 0. When out has a cap and it is reached, the
 * output is cut at a character boundary and NORMALIZE_TRUNCATED is set.
 */
unsigned normalize_text(const char *s, size_t len, struct strbuf *out, unsigned opts);

/* The name of one NORMALIZE_* bit ("html", "entities", "width", "punct",
 * "whitespace", "control", "emoji", "bad_utf8", "truncated"), or NULL. */
const char *normalize_flag_name(unsigned bit);

#endif
