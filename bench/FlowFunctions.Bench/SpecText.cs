using System.Globalization;
using System.Text;

namespace FlowFunctions.Bench;

/// <summary>Generates the benchmark workflows as YAML text (the same path a user's spec takes).</summary>
internal static class SpecText
{
    /// <summary>
    /// <paramref name="totalNodes"/> nodes in all: one root echo, totalNodes - 2 echoes that each need the root, and one
    /// inline transform join that needs all of them and sums their outputs.
    /// </summary>
    public static string FanOut(int totalNodes)
    {
        var width = totalNodes - 2;
        var sb = new StringBuilder();
        sb.Append("name: bench-fanout\nnodes:\n  - { id: root, type: echo, with: 1 }\n");
        for (var i = 0; i < width; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - {{ id: e{i}, type: echo, needs: [root], with: 1 }}\n");
        }

        sb.Append("  - id: join\n    type: transform\n    reduce: sum\n    with: ${{ input }}\n    needs: [");
        for (var i = 0; i < width; i++)
        {
            sb.Append(i == 0 ? "e" : ", e").Append(i.ToString(CultureInfo.InvariantCulture));
        }

        sb.Append("]\noutputs:\n  total: ${{ nodes.join.output }}\n");
        return sb.ToString();
    }

    /// <summary>The idiomatic form: a root echo that yields the item list, and a map with an echo child reduced by sum.</summary>
    public static string Map(int items)
    {
        var sb = new StringBuilder();
        sb.Append("name: bench-map\nnodes:\n  - id: list\n    type: echo\n    with: [");
        for (var i = 0; i < items; i++)
        {
            sb.Append(i == 0 ? "1" : ", 1");
        }

        sb.Append("]\n  - id: each\n    type: map\n    needs: [list]\n    items: ${{ nodes.list.output }}\n    node:\n      type: echo\n      with: ${{ item }}\n    reduce: sum\noutputs:\n  total: ${{ nodes.each.output }}\n");
        return sb.ToString();
    }

    /// <summary><paramref name="length"/> echoes in sequence, c0 to c{length-1}.</summary>
    public static string Chain(int length)
    {
        var sb = new StringBuilder();
        sb.Append("name: bench-chain\nnodes:\n  - { id: c0, type: echo, with: 0 }\n");
        for (var i = 1; i < length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  - {{ id: c{i}, type: echo, needs: [c{i - 1}], with: {i} }}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"outputs:\n  last: ${{{{ nodes.c{length - 1}.output }}}}\n");
        return sb.ToString();
    }
}
