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
