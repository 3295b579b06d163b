"""한국어 문자열. 키는 en.py와 같다 (tests/test_i18n.py가 확인한다)."""

STRINGS = {
    # ---- chrome (every page) ----
    "chrome.language_help": "모든 레이블, 도움말, 차트의 언어입니다. 링크에 lang=en 또는 lang=ko로 저장됩니다.",
    "chrome.presenter": "발표자 모드",
    "chrome.presenter_help": "프로젝터용으로 글자와 차트를 크게 하고 사이드바 컨트롤을 숨깁니다. 링크에 present=true로 저장됩니다.",
    "url.corrected": "링크가 {param}={asked} 값을 요청했지만 여기서는 허용되지 않는 값이라 {used}(으)로 표시합니다.",
    "nav.home": "홈",
    "nav.explorer": "탐색기",
    "nav.small_batches": "작은 배치",
    "nav.train_vs_eval": "학습 vs 평가",
    "nav.training_lab": "학습 실험실",
    "nav.images": "이미지와 AdaIN",
    "nav.weight_norms": "가중치 정규화",
    "nav.tour": "가이드 투어",
    "common.before": "정규화 전",
    "common.after": "정규화 후",
    "common.density": "밀도",
    "common.count": "개수",
    "common.value": "활성값",
    "common.standard_normal": "N(0, 1)",
    "common.download_csv": "데이터 (CSV)",
    "common.download_csv_help": "이 차트의 숫자를 CSV 파일로 내려받습니다. 차트 도구 모음의 카메라 아이콘은 PNG로 저장합니다.",
    # ---- end chrome ----

    # ---- home (app.py) ----
    "home.title": "normcore: 정규화 층은 어떻게 동작하는가",
    "home.intro": "배치 정규화와 그 친척들을 정확하게 보여 주는 인터랙티브 그림입니다. 화면의 모든 숫자는 같은 입력에 대해 PyTorch가 계산하는 값과 같습니다.",
    # ---- end home ----

    # ---- explorer (pages/1_Explorer.py) ----
    "explorer.title": "탐색기",
    "explorer.norm": "정규화",
    "explorer.norm_help": "적용할 층입니다. 배치 정규화는 채널마다 배치 전체에서, 층 정규화는 샘플마다, 인스턴스 정규화는 (샘플, 채널)마다, 그룹 정규화는 (샘플, 채널 그룹)마다 통계를 공유합니다.",
    "explorer.norm.batch": "배치 정규화",
    "explorer.norm.layer": "층 정규화",
    "explorer.norm.instance": "인스턴스 정규화",
    "explorer.norm.group": "그룹 정규화",
    "explorer.batch": "배치 크기 N",
    "explorer.batch_help": "함께 정규화되는 샘플 수입니다. 배치 정규화의 통계는 이 N개 샘플에서 나옵니다.",
    "explorer.groups": "그룹 수 G",
    "explorer.groups_help": "그룹 정규화는 C개 채널을 G개 그룹으로 나눕니다. C의 약수만 고를 수 있습니다. G = 1이면 층 정규화, G = C이면 인스턴스 정규화입니다.",
    "explorer.mode": "모드",
    "explorer.mode_help": "학습 모드는 배치 자신의 통계를, 평가 모드는 학습 중에 모은 이동 통계를 사용합니다.",
    "explorer.mode.train": "학습",
    "explorer.mode.eval": "평가",
    "explorer.hist_title": "{norm} 전후의 활성값",
    "explorer.size": "공간 크기 H = W",
    "explorer.size_help": "각 특성 맵의 높이와 너비입니다. 1이면 완전연결 층의 경우 (N, C)이며, 배치 정규화는 채널마다 N개 값만 갖습니다.",
    "explorer.seed": "시드",
    "explorer.seed_help": "무작위 모집단과 배치를 고정하여 같은 링크가 항상 같은 그림을 보여 줍니다.",
    "explorer.invalid": "이 설정으로는 정규화할 수 없습니다: {error}",
    "explorer.eval_same": "{norm}에는 이동 통계가 없어서 평가 모드도 학습 모드와 똑같이 계산합니다.",
    # ---- end explorer ----

    # ---- small batches (pages/2_Small_batches.py) ----
    "small.title": "작은 배치: 배치 정규화는 왜 흔들리는가",
    "small.intro": "배치 정규화는 각 특성을 **현재 배치의** 평균과 분산으로 정규화합니다. 이 값들은 B개의 표본으로 모집단 통계를 추정한 것이라 B가 작을수록 잡음이 큽니다. 아래의 모든 값은 예제 4096개, 특성 8개로 된 하나의 고정된 (시드가 정해진) 모집단에서 실시간으로 뽑은 것입니다.",
    "small.b": "배치 크기 B",
    "small.b_help": "배치 통계 히스토그램에서 각 배치에 들어가는 예제 수입니다. 링크에 b로 저장됩니다.",
    "small.batches": "배치 개수",
    "small.batches_help": "히스토그램을 위해 (복원 추출로) 뽑는 무작위 배치의 수입니다. 많을수록 히스토그램이 매끄러워집니다. 링크에 k로 저장됩니다.",
    "small.channel": "특성",
    "small.channel_help": "8개 특성 중 어느 것을 볼지 고릅니다. 특성마다 모집단 평균과 퍼짐이 다릅니다. 링크에 ch로 저장됩니다.",
    "small.example": "고정 예제",
    "small.example_help": "200개 배치에 걸쳐 정규화된 값을 추적할 예제의 번호(0~4095)입니다. 링크에 ex로 저장됩니다.",
    "small.groups": "그룹 수 G (그룹 정규화)",
    "small.groups_help": "그룹 정규화는 8개 특성을 G개 그룹으로 나누고 예제 안에서 그룹마다 정규화합니다. G = 1이면 층 정규화입니다. 링크에 g로 저장됩니다.",
    "small.r_max": "r_max (배치 재정규화)",
    "small.r_max_help": "배치 재정규화는 r = σ_B/σ를 [1/r_max, r_max]로 잘라 곱합니다. r_max = 1, d_max = 0이면 일반 배치 정규화입니다. 링크에 rmax로 저장됩니다.",
    "small.d_max": "d_max (배치 재정규화)",
    "small.d_max_help": "배치 재정규화는 d = (μ_B − μ)/σ를 [−d_max, d_max]로 잘라 더합니다. 링크에 dmax로 저장됩니다.",
    "small.seed": "시드",
    "small.seed_help": "모집단과 배치를 고정하여 같은 링크가 항상 같은 그림을 보여 줍니다. 링크에 seed로 저장됩니다.",
    "small.moments_header": "배치 통계는 추정값이다",
    "small.moments_text": "각 막대그래프는 크기 B인 무작위 배치 여러 개에 대한 통계 하나의 분포입니다. 이론에 따르면 배치 평균 μ_B는 모집단 평균 μ 주위에 표준편차 σ/√B로 흩어지고, 편향 배치 분산 σ²_B(B로 나눈 것, 배치 정규화가 정규화에 쓰는 값)의 평균은 (B−1)/B · σ²입니다. 즉 실제보다 작고, B가 작을수록 심하게 작습니다.",
    "small.moments_title": "크기 B = {b}인 배치 {k}개",
    "small.mean_title": "배치 평균 μ_B",
    "small.var_title": "배치 분산 σ²_B (편향)",
    "small.measured": "측정값",
    "small.theory": "이론",
    "small.theory_mean": "이론 N(μ, σ²/B)",
    "small.population_var": "모집단 σ²",
    "small.expected_var": "이론 E[σ²_B] = (B−1)/B · σ²",
    "small.metric_sd": "μ_B의 퍼짐 (측정)",
    "small.metric_sd_help": "뽑은 모든 배치의 배치 평균들의 표준편차입니다.",
    "small.metric_sd_theory": "σ/√B (이론)",
    "small.metric_sd_theory_help": "모집단 표준편차를 배치 크기의 제곱근으로 나눈 값입니다.",
    "small.metric_var": "σ²_B의 평균 (측정)",
    "small.metric_var_help": "뽑은 모든 배치의 편향 배치 분산의 평균입니다.",
    "small.metric_var_theory": "(B−1)/B · σ² (이론)",
    "small.metric_var_theory_help": "B = {b}일 때 편향 배치 분산의 기댓값입니다. B = 1이면 0입니다. 값 하나에는 퍼짐이 없습니다.",
    "small.summary_title": "모든 배치 크기를 한눈에",
    "small.sd_title": "μ_B의 퍼짐: σ/√B",
    "small.var_mean_title": "σ²_B의 평균: (B−1)/B · σ²",
    "small.x_batch": "배치 크기 B",
    "small.bands_header": "예제 하나, 배치 여럿",
    "small.bands_text": "고정된 예제 하나를 서로 다른 배치 {n}개에 넣습니다. 각 배치에는 무작위로 뽑은 다른 예제 B − 1개가 함께 들어갑니다. 각 정규화가 학습 모드에서 계산한 이 예제의 정규화된 특성 값을 봅니다. 음영 띠는 배치들에 걸친 5~95 백분위수 범위, 선은 중앙값입니다. 출력이 예제 자신에만 의존하는 정규화에는 띠가 없습니다.",
    "small.bands_title": "예제 {ex}, 특성 {ch}의 정규화된 값 (배치 200개)",
    "small.y_normalized": "정규화된 값",
    "small.norm.batch": "배치 정규화",
    "small.norm.batch_renorm": "배치 재정규화",
    "small.norm.group": "그룹 정규화 (G = {g})",
    "small.norm.layer": "층 정규화",
    "small.bands_caption": "배치 정규화의 띠는 B가 작아질수록 넓어집니다. B = 2에서는 어떤 예제든 정규화된 값이 정확히 −1 또는 +1입니다. 그룹 정규화와 층 정규화는 다른 예제를 보지 않으므로 선이 평평합니다. 배치 재정규화는 r과 d로 보정한 이동 통계(여기서는 모집단 통계)를 쓰므로 r이나 d가 r_max, d_max에 걸릴 때만 흔들립니다. B = 1에서는 두 배치 정규화 모두 학습 모드에서 정의되지 않습니다(아래 참고).",
    "small.one_header": "학습 모드에서 크기 1인 배치",
    "small.one_text": "(1, C) 모양의 완전 연결 활성값에서는 특성마다 값이 하나뿐이라 배치 분산이 0이고 정규화된 값은 0/0이 됩니다. PyTorch는 이를 거부하며, normcore도 같은 메시지로 거부합니다:",
    "small.one_image": "(1, C, H, W) 모양의 이미지에서는 채널마다 여전히 H·W개의 값이 있으므로, PyTorch는 이미지 한 장의 픽셀들로 각 채널을 정규화합니다. 이는 정확히 인스턴스 정규화입니다((1, 4, 3, 3) 입력으로 여기서 실시간 확인). 오류는 없지만 통계가 배치가 아니라 이미지 한 장에서 나옵니다.",
    "small.one_image_differs": "(1, C, H, W) 모양의 이미지에서는 각 채널이 H·W개 픽셀로 정규화됩니다. 이번 실시간 확인에서 인스턴스 정규화와 다르게 나왔는데, 이런 일은 없어야 합니다. 알려 주세요.",
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
