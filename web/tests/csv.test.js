import { describe, it, expect } from 'vitest';
import { csvCell, toCsv } from '../src/lib/csv.js';

describe('CSV export', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('他说"退款"')).toBe('"他说""退款"""');
    expect(csvCell('一行\n两行')).toBe('"一行\n两行"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
  });
  it('neutralises cells Excel would run as formulas', () => {
    expect(csvCell('=HYPERLINK("http://x","点我")')).toBe(`"'=HYPERLINK(""http://x"",""点我"")"`);
    expect(csvCell('+86 138')).toBe("'+86 138");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });
  it('BOM, header row, CRLF', () => {
    expect(toCsv([{ key: 'id', title: '编号' }, 'text'], [{ id: 1, text: '慢' }, { id: 2 }]))
      .toBe('\ufeff编号,text\r\n1,慢\r\n2,\r\n');
  });
});
