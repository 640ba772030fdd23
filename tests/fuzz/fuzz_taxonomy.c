/*
 * fuzz_taxonomy.c: libFuzzer target for the taxonomy parser and its matchers
 * (core/text/taxonomy) and the amount reader. The input is parsed as a
 * taxonomy document; when it parses, its rules are run over the input's own
 * bytes (categories, model-label lookup, severity). A parse error must name a
 * field; nothing may crash or leak.
 *
 *     make fuzz
 *     build/fuzz/fuzz/fuzz_taxonomy -max_total_time=60 tests/fuzz/corpus/taxonomy
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "text/taxonomy.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct taxonomy *t = NULL;
    struct kerr e;
    kerr_clear(&e);
    (void)taxonomy_amount(s, size);
    if (taxonomy_parse(s, size, &t, &e) < 0) {
        if (!e.message[0])
            abort();
        return 0;
    }
    struct tax_category c;
    struct tax_severity sev;
    struct tax_severity_in in = {0.97, 3};
    taxonomy_categorize(t, s, size, &c);
    for (int i = 0; i < c.depth; i++)
        if (!c.level[i])
            abort();
    if (size < 200) {
        char label[256];
        memcpy(label, s, size);
        label[size] = 0;
        taxonomy_find(t, label, &c);
    }
    taxonomy_severity(t, s, size, &in, &sev);
    if ((int)sev.level < 0 || (int)sev.level > 3)
        abort();
    taxonomy_free(t);
    return 0;
}
