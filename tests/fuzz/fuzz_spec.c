/* libFuzzer target: config.json parsing and validation must never crash,
 * leak or read out of bounds on any input, only return an error.
 *   make fuzz-spec && build-fuzz/fuzz_spec -max_total_time=60 tests/fuzz/corpus */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hull_error err = { 0 };
	json_node *doc = NULL;
	struct spec *s = NULL;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (json_parse(text, &doc, &err) == 0) {
		if (spec_parse(doc, "/bundle", &s, &err) == 0)
			spec_free(s);
		json_free(doc);
	}
	free(text);
	return 0;
}
