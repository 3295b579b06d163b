"""English strings. Keys: ``<page>.<name>``; each page's keys stay in its own section."""

STRINGS = {
    # ---- chrome (every page) ----
    "chrome.language_help": "The language of every label, help text and chart. Kept in the link as lang=en or lang=ko.",
    "chrome.presenter": "Presenter mode",
    "chrome.presenter_help": "Larger text and charts for a projector; hides the sidebar controls. Kept in the link as present=true.",
    "url.corrected": "The link asked for {param}={asked}, which is not allowed here; showing {used} instead.",
    "nav.home": "Home",
    "nav.explorer": "Explorer",
    "nav.small_batches": "Small batches",
    "nav.train_vs_eval": "Train vs eval",
    "nav.training_lab": "Training lab",
    "nav.images": "Images & AdaIN",
    "nav.weight_norms": "Weight norms",
    "nav.tour": "Guided tour",
    "common.before": "before",
    "common.after": "after",
    "common.density": "density",
    "common.count": "count",
    "common.value": "activation value",
    "common.standard_normal": "N(0, 1)",
    "common.download_csv": "Data (CSV)",
    "common.download_csv_help": "Download the numbers behind this chart as a CSV file. The camera icon in the chart's toolbar saves it as PNG.",
    # ---- end chrome ----

    # ---- home (app.py) ----
    "home.title": "normcore: how normalization layers work",
    "home.intro": "Interactive, exact pictures of Batch Normalization and its relatives. Every number is what PyTorch computes for the same input.",
    # ---- end home ----

    # ---- explorer (pages/1_Explorer.py) ----
    "explorer.title": "Explorer",
    "explorer.norm": "Normalization",
    "explorer.norm_help": "Which layer to apply. Batch norm shares statistics per channel across the batch; layer norm per sample; instance norm per (sample, channel); group norm per (sample, group of channels).",
    "explorer.norm.batch": "Batch Norm",
    "explorer.norm.layer": "Layer Norm",
    "explorer.norm.instance": "Instance Norm",
    "explorer.norm.group": "Group Norm",
    "explorer.batch": "Batch size N",
    "explorer.batch_help": "How many samples are normalized together. Batch norm's statistics come from these N samples.",
    "explorer.groups": "Groups G",
    "explorer.groups_help": "Group norm splits the C channels into G groups; only divisors of C are offered. G = 1 is layer norm, G = C is instance norm.",
    "explorer.mode": "Mode",
    "explorer.mode_help": "Training uses the batch's own statistics; eval uses the running statistics collected during training.",
    "explorer.mode.train": "train",
    "explorer.mode.eval": "eval",
    "explorer.hist_title": "Activations before and after {norm}",
    "explorer.size": "Spatial size H = W",
    "explorer.size_help": "Height and width of each feature map. 1 is the fully connected case (N, C); batch norm then has only N values per channel.",
    "explorer.seed": "Seed",
    "explorer.seed_help": "Fixes the random population and batch, so the same link always shows the same picture.",
    "explorer.invalid": "These settings cannot be normalized: {error}",
    "explorer.eval_same": "{norm} has no running statistics: eval mode computes exactly what training mode does.",
    # ---- end explorer ----

    # ---- small batches (pages/2_Small_batches.py) ----
    "small.title": "Small batches: why Batch Norm wobbles",
    "small.intro": "Batch Norm normalizes each feature with the mean and variance **of the current batch**. Those are estimates of the population's statistics from B samples, and small B makes them noisy. Everything below is drawn live from one fixed, seeded population of 4096 examples with 8 features.",
    "small.b": "Batch size B",
    "small.b_help": "How many examples each batch holds for the histograms of batch statistics. Kept in the link as b.",
    "small.batches": "Number of batches",
    "small.batches_help": "How many random batches are drawn (with replacement) for the histograms; more batches give smoother histograms. Kept in the link as k.",
    "small.channel": "Feature",
    "small.channel_help": "Which of the 8 features to follow; each has its own population mean and spread. Kept in the link as ch.",
    "small.example": "Fixed example",
    "small.example_help": "The index (0 to 4095) of the one example whose normalized value is followed across 200 batches. Kept in the link as ex.",
    "small.groups": "Groups G (group norm)",
    "small.groups_help": "Group norm splits the 8 features into G groups and normalizes each group within the example. G = 1 would be layer norm. Kept in the link as g.",
    "small.r_max": "r_max (batch renorm)",
    "small.r_max_help": "Batch Renorm scales by r = σ_B/σ clipped to [1/r_max, r_max]. r_max = 1 with d_max = 0 is plain batch norm. Kept in the link as rmax.",
    "small.d_max": "d_max (batch renorm)",
    "small.d_max_help": "Batch Renorm shifts by d = (μ_B − μ)/σ clipped to [−d_max, d_max]. Kept in the link as dmax.",
    "small.seed": "Seed",
    "small.seed_help": "Fixes the population and the batches, so the same link shows the same picture. Kept in the link as seed.",
    "small.moments_header": "Batch statistics are estimates",
    "small.moments_text": "Each bar chart shows one statistic over many random batches of size B. Theory says the batch mean μ_B scatters around the population mean μ with standard deviation σ/√B, and the biased batch variance σ²_B (divided by B, the one Batch Norm normalizes with) is on average (B−1)/B · σ²: too small, badly so for small B.",
    "small.moments_title": "{k} batches of size B = {b}",
    "small.mean_title": "batch mean μ_B",
    "small.var_title": "batch variance σ²_B (biased)",
    "small.measured": "measured",
    "small.theory": "theory",
    "small.theory_mean": "theory N(μ, σ²/B)",
    "small.population_var": "population σ²",
    "small.expected_var": "theory E[σ²_B] = (B−1)/B · σ²",
    "small.metric_sd": "spread of μ_B (measured)",
    "small.metric_sd_help": "Standard deviation of the batch means over all drawn batches.",
    "small.metric_sd_theory": "σ/√B (theory)",
    "small.metric_sd_theory_help": "The population standard deviation divided by the square root of the batch size.",
    "small.metric_var": "mean of σ²_B (measured)",
    "small.metric_var_help": "Average biased batch variance over all drawn batches.",
    "small.metric_var_theory": "(B−1)/B · σ² (theory)",
    "small.metric_var_theory_help": "The expected biased batch variance for B = {b}. For B = 1 it is 0: one value has no spread.",
    "small.summary_title": "Every batch size at once",
    "small.sd_title": "spread of μ_B: σ/√B",
    "small.var_mean_title": "average σ²_B: (B−1)/B · σ²",
    "small.x_batch": "batch size B",
    "small.bands_header": "One example, many batches",
    "small.bands_text": "Take one fixed example and put it into {n} different batches, each with B − 1 random companions. Its normalized feature is computed in training mode by each norm. The shaded band spans the 5th to 95th percentile over the batches, the line is the median. A norm whose output depends only on the example itself has no band.",
    "small.bands_title": "Normalized value of example {ex}, feature {ch}, across 200 batches",
    "small.y_normalized": "normalized value",
    "small.norm.batch": "Batch Norm",
    "small.norm.batch_renorm": "Batch Renorm",
    "small.norm.group": "Group Norm (G = {g})",
    "small.norm.layer": "Layer Norm",
    "small.bands_caption": "Batch Norm's band widens as B shrinks: at B = 2 every normalized value is exactly −1 or +1, whatever the example. Group and Layer Norm never look at the other examples, so their line is flat. Batch Renorm uses running statistics (here the population's) corrected by r and d; it only wobbles where r or d hit r_max or d_max. At B = 1 neither batch norm is defined in training mode (see below).",
    "small.one_header": "A batch of one in training mode",
    "small.one_text": "With fully connected activations of shape (1, C), each feature has a single value: its batch variance is 0 and the normalized value would be 0/0. PyTorch refuses, and so does normcore, with the same message:",
    "small.one_image": "With images of shape (1, C, H, W), each channel still has H·W values, so PyTorch normalizes each channel over the pixels of the one image. That is exactly Instance Norm (checked live here for a (1, 4, 3, 3) input): no error, but the statistics come from one image, not from a batch.",
    "small.one_image_differs": "With images of shape (1, C, H, W) each channel is normalized over its H·W pixels; this live check found it different from Instance Norm, which should not happen. Please report it.",
    # ---- end small batches ----

    # ---- train vs eval (pages/3_Train_vs_eval.py) ----
    # ---- end train vs eval ----

    # ---- training lab (pages/4_Training_lab.py) ----
    # ---- end training lab ----

    # ---- images (pages/5_Images.py) ----
    # ---- end images ----

    # ---- weight norms (pages/6_Weight_norms.py) ----
    # ---- end weight norms ----

    # ---- tour (pages/7_Tour.py) ----
    # ---- end tour ----
}
