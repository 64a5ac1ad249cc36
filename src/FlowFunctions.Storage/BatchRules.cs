namespace FlowFunctions.Storage;

/// <summary>What every store refuses in a batch, whatever its own limits: null operations, a key touched twice, a missing value.</summary>
internal static class BatchRules
{
    public static void Validate(IReadOnlyList<RowOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var keys = new HashSet<string>(operations.Count, StringComparer.Ordinal);
        for (var index = 0; index < operations.Count; index++)
        {
            var operation = operations[index]
                ?? throw new ArgumentException($"batch operation {index} is null", nameof(operations));
            ArgumentNullException.ThrowIfNull(operation.Key, $"{nameof(operations)}[{index}].Key");
            if (!keys.Add(operation.Key))
            {
                throw new ArgumentException($"batch operation {index} touches '{operation.Key}' again; a batch may touch each key once", nameof(operations));
            }

            var value = operation switch
            {
                RowOperation.Insert insert => insert.Value,
                RowOperation.Upsert upsert => upsert.Value,
                RowOperation.Replace replace => replace.Value,
                _ => string.Empty,
            };
            if (value is null)
            {
                throw new ArgumentException($"batch operation {index} on '{operation.Key}' has no value", nameof(operations));
            }

            if (operation is RowOperation.Replace { ETag: null } or RowOperation.Delete { ETag: null })
            {
                throw new ArgumentException($"batch operation {index} on '{operation.Key}' has no ETag (use \"*\" for any)", nameof(operations));
            }
        }
    }
}
