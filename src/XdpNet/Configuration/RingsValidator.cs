namespace XdpNet.Configuration;

/// <summary>
/// Rings: every ring size a power of two (the kernel masks indices with size − 1) between the batch size and 65536;
/// Batch 1..256; TxSkbBudget (XDP_MAX_TX_SKB_BUDGET) between 32 (the kernel's TX_BATCH_SIZE) and Rings:Tx.
/// </summary>
internal sealed class RingsValidator : IConfigSectionValidator
{
    private const int MaxRing = 65536;
    private const int MaxBatch = 256;
    private const int MinTxSkbBudget = 32;

    public void Validate(ValidationContext context)
    {
        var rings = context.Config.Rings;
        var batchOk = rings.Batch is >= 1 and <= MaxBatch;
        if (!batchOk)
        {
            context.Add("Rings:Batch", $"{rings.Batch} is outside 1..{MaxBatch}");
        }
        var minimum = batchOk ? rings.Batch : 1;
        Ring(context, "Rings:Rx", rings.Rx, minimum);
        Ring(context, "Rings:Tx", rings.Tx, minimum);
        Ring(context, "Rings:Fill", rings.Fill, minimum);
        Ring(context, "Rings:Completion", rings.Completion, minimum);

        if (rings.TxSkbBudget is int budget && (budget < MinTxSkbBudget || budget > rings.Tx))
        {
            context.Add("Rings:TxSkbBudget", $"{budget} must be between {MinTxSkbBudget} and Rings:Tx ({rings.Tx})");
        }
    }

    private static void Ring(ValidationContext context, string key, int size, int minimum)
    {
        if (!ConfigSyntax.IsPowerOfTwo(size) || size < minimum || size > MaxRing)
        {
            context.Add(key, $"{size} must be a power of two between {minimum} (Rings:Batch) and {MaxRing}");
        }
    }
}
