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
