"""The Japanese edition of the sample story: every line of the script, translated.

Spaces mark where a vertical column may break; they are not part of the text (the
truth and the drawing drop them). Sound effects stay horizontal katakana.
"""

from __future__ import annotations

from dataclasses import replace

from .story import Scene, Spread

JA: dict[str, str] = {
    "Spring in Minato, a small town by the sea.": "海辺の 小さな町、 みなとの春。",
    "Mm... morning already?": "ん… もう朝？",
    "The sun is out. Nice and warm.": "お日さまだ。 あったかい。",
    "Haru! Breakfast is ready!": "ハル！ 朝ごはん できたよ！",
    "Coming, coming.": "はーい、 今行く。",
    "Now, where did I put my harmonica...": "ハーモニカ どこに 置いたっけ…",
    "On your desk. Like always.": "机の上。 いつもの 場所。",
    "I made the toast today.": "今日は 私が トースト 焼いたの。",
    "Thanks, Mio. It smells good.": "ありがとう ミオ。 いい匂い。",
    "Is Ren coming by this morning?": "レンは 今朝 来るの？",
    "He said he'd wait at the corner.": "角で 待ってるって。",
    "You two practise every single day. Hehe.": "二人とも 毎日 練習してるね。 ふふ。",
    "The spring festival is on Sunday. We want our duet to be good.": (
        "春祭りは 日曜日。 二重奏を 成功させたいの。"
    ),
    "I'll sit in the front row!": "一番前で 聴くからね！",
    "See you tonight!": "また今夜ね！",
    "Bye! Don't be late!": "行ってらっしゃい！ 遅れないでね！",
    "The road to school runs along the harbour.": "学校への道は 港に沿って 続く。",
    "Morning, Haru.": "おはよう、 ハル。",
    "Good morning! You're early today.": "おはよう！ 今日は 早いね。",
    "Couldn't sleep much.": "あまり 眠れなくて。",
    "...": "…",
    "Something on your mind?": "何か あったの？",
    "No. It's nothing.": "いや。 なんでもない。",
    "Look, the fishing boats are back.": "見て、 漁船が 帰ってきた。",
    "The sea is calm today.": "今日は 海が 穏やかだな。",
    "I love this road in the morning.": "朝の この道が 大好き。",
    "Yeah. Me too.": "うん。 俺も。",
    "Haru, did you finish the last part of our song?": "ハル、 曲の最後の 部分は できた？",
    "Almost! I'll show you after school.": "もう少し！ 放課後に 見せるね。",
    "Okay. I'll bring the sheet music.": "わかった。 楽譜を 持ってくる。",
    "Minato High School.": "みなと 高校。",
    "First class is maths...": "一時間目は 数学か…",
    "Don't fall asleep again.": "また 寝るなよ。",
    "I never fall asleep.": "寝たこと なんて ないよ。",
    "You snored last week.": "先週 いびき かいてた。",
    "That was a very quiet snore.": "すごく 静かな いびき だったの。",
    "Sure it was.": "はいはい。",
    "See you after class.": "放課後にね。",
    "Okay! From the top!": "よし！ 最初から！",
    "One, two, three!": "いち、 に、 さん！",
    "SQUEEEAK!": "ピィィー！",
    "Whoa! What was that?!": "うわっ！ 今の 何！？",
    "My harmonica... it squeaked?!": "ハーモニカが… 鳴いた！？",
    "Hahaha! It sounded like a duck!": "ははは！ アヒルみたい だった！",
    "Hey! Don't laugh!": "ちょっと！ 笑わないで！",
    "Sorry, sorry! Haha!": "ごめん ごめん！ はは！",
    "Okay... it WAS a little funny.": "まあ… ちょっと 面白かった けど。",
    "Surprise! I brought snacks!": "じゃーん！ おやつ 持ってきた！",
    "Mio?! How did you get in here?": "ミオ！？ どうやって 入ったの？",
    "Wow, she's fast.": "すごい、 速いな。",
    "I baked cookies. Try one!": "クッキー 焼いたの。 食べてみて！",
    "...Mio. Is this salt?": "…ミオ。 これ 塩？",
    "Huh? It was the white jar...": "え？ 白い瓶 だったけど…",
    "Ugh! Yuck! Water, water!": "うえっ！ まずい！ 水、 水！",
    "Hehe... oops.": "えへへ… しまった。",
    "You're hopeless. Haha!": "しょうがない なあ。 はは！",
    "Okay, okay. Once more, for real.": "よし よし。 今度こそ 本番だ。",
    "This time it'll be perfect!": "今度は 完璧に なるよ！",
    "~ la la la ~": "♪ ラララ ♪",
    "Wow! That's so pretty!": "わあ！ すごく きれい！",
    "We did it!": "やった！",
    "Yes! Great!": "よし！ 最高！",
    "Encore! Encore!": "アンコール！ アンコール！",
    "Wait, the cookies are still here?!": "待って、 クッキーが まだある！？",
    "Hahaha! Hide them!": "ははは！ 隠して！",
    "I'll take the sheet music home tonight and copy it.": "今夜 楽譜を 持って帰って 写すよ。",
    "Thanks! It's our only copy, so be careful.": "ありがとう！ 一枚しか ないから 気をつけて。",
    "I'll guard it with my life. Haha.": "命がけで 守るよ。 はは。",
    "That evening, on the way home...": "その夜、 帰り道で…",
    "It's dark already.": "もう 真っ暗だね。",
    "Let's take the shortcut.": "近道 しよう。",
    "GRAB!": "ガシッ！",
    "Give me that bag!": "その鞄を よこせ！",
    "Hey! My bag!": "おい！ 俺の鞄！",
    "The sheet music is in there!": "楽譜が 入ってるの！",
    "Out of my way!": "どけ！",
    "Stop! Thief!": "待て！ 泥棒！",
    "Ren, wait! It's dangerous!": "レン、 待って！ 危ない！",
    "DASH DASH": "ダッダッ",
    "Come back here!": "戻ってこい！",
    "Hah... hah... he's so fast...": "はあ… はあ… 速すぎる…",
    "These kids won't give up?!": "このガキども、 しつこい！？",
    "Haru, go left! Cut him off!": "ハル、 左へ！ 先回りだ！",
    "O-okay! Hurry!": "う、 うん！ 急いで！",
    "Ugh, this alley stinks of fish...": "うっ、 この路地 魚臭い…",
    "CRASH!": "ガシャーン！",
    "Whoa!": "うわっ！",
    "He tripped!": "転んだ！",
    "Damn it! Get away from me!": "くそっ！ 来るな！",
    "TAP TAP TAP": "タッタッタッ",
    "Up the stairs... hurry...": "階段を… 急げ…",
    "You won't get away!": "逃がさないぞ！",
    "My legs... I can't...": "足が… もう 無理…",
    "No! I won't give up!": "ううん！ あきらめない！",
    "What?! The girl too?!": "何！？ 女の子 まで！？",
    "Haru! Wow!": "ハル！ すごい！",
    "The river bridge.": "川の橋。",
    "Nowhere to run...": "逃げ場が ない…",
    "Give it back. Now!": "返せ。 今すぐ！",
    "Stay back! I'll throw it in the river!": "来るな！ 川に 投げるぞ！",
    "No! Please don't! That song is everything to us!": (
        "やめて！ お願い！ あの曲は 私たちの 全部なの！"
    ),
    "A... song?": "き… 曲？",
    "Drop it and run, or I'll call the police!": "置いて 逃げろ、 警察を 呼ぶぞ！",
    "Tch! Take your stupid paper!": "ちっ！ こんな紙 くれてやる！",
    "FWOOSH": "バサッ",
    "The pages!": "楽譜が！",
    "Catch them!": "つかまえろ！",
    "Got one! Ren?!": "一枚 取った！ レン！？",
    "Got the rest! Phew...": "残りも 取った！ ふう…",
    "My heart is still pounding...": "まだ 胸が ドキドキ してる…",
    "Are you hurt?": "けがは ない？",
    "drip... drip...": "ポタ… ポタ…",
    "You wanted to tell me something?": "話って 何？",
    "...Yes.": "…うん。",
    "Haru... I'm moving to Sapporo. On Saturday.": "ハル… 札幌に 引っ越すんだ。 土曜日に。",
    "...What?": "…え？",
    "My dad got a new job. I'm sorry. I should have told you sooner.": (
        "父さんの 転勤で。 ごめん。 もっと早く 言うべき だった。"
    ),
    "Saturday... but the festival is on Sunday...": "土曜日… お祭りは 日曜日 なのに…",
    "I know. I'm sorry. I'm really sorry.": "わかってる。 ごめん。 本当に ごめん。",
    "Why didn't you say anything?!": "どうして 言って くれなかったの！？",
    "I didn't want to spoil our last weeks together...": "最後の 日々を 壊したく なかった…",
    "So our duet... we'll never play it.": "じゃあ 二重奏は… もう 弾けないんだ。",
    "Saturday. Minato Station.": "土曜日。 みなと駅。",
    "Ren... are you really leaving?": "レン… 本当に 行っちゃうの？",
    "Look after your big sister, okay?": "お姉ちゃんを 頼むな。",
    "I brought something for you.": "渡したい ものが あるの。",
    "The sheet music. Keep it. It's our song.": "楽譜。 持ってて。 私たちの 曲だよ。",
    "Haru... thank you.": "ハル… ありがとう。",
    "RIIING": "ジリリリ",
    "I have to go. Goodbye, Haru.": "もう 行かなきゃ。 さよなら、 ハル。",
    "Goodbye... Ren.": "さよなら… レン。",
    "GATAN GOTON...": "ガタン ゴトン…",
    "Sis... it's okay to cry.": "お姉ちゃん… 泣いて いいんだよ。",
    "I'm not crying... it's the rain.": "泣いてない… 雨だよ。",
    "I never told him how I feel...": "好きって 言えなかった…",
    "The rain kept falling all night.": "雨は 一晩中 降り続いた。",
    "Haru? I left some tea by your door.": "ハル？ ドアの前に お茶 置いたよ。",
    "Thank you, Mio. I'm sorry... I want to be alone.": (
        "ありがとう ミオ。 ごめん… 一人に なりたいの。"
    ),
    "Our song... without Ren...": "私たちの曲… レンが いないと…",
    "...I miss you already.": "…もう 会いたいよ。",
    "Three weeks later. Dawn.": "三週間後。 夜明け。",
    "The sun is coming up...": "日が 昇ってくる…",
    "I've come here every morning to practise alone.": "毎朝 ここで 一人で 練習してる。",
    "Haru! Haru! A letter came for you!": "ハル！ ハル！ 手紙が 来たよ！",
    "A letter? From...?": "手紙？ 誰から…？",
    "From Sapporo! Hehe.": "札幌から！ ふふ。",
    '"Dear Haru, the snow here is beautiful."': "「ハルへ。 こっちの雪は とてもきれいだ。」",
    '"I play our song every night. The old piano here sings."': (
        "「毎晩 あの曲を 弾いてる。 古いピアノが よく歌う。」"
    ),
    '"This summer I\'ll come back for the harbour festival."': ("「この夏、 港祭りに 帰るよ。」"),
    '"Let\'s play our duet together. Wait for me. -- Ren"': (
        "「一緒に 二重奏を 弾こう。 待ってて。 レン」"
    ),
    "That idiot... of course I'll wait.": "バカ… 待つに 決まってる。",
    "Thank you, Ren.": "ありがとう、 レン。",
    "You're smiling again!": "また 笑ってる！",
    "Am I? Haha.": "そう？ はは。",
    "Mio, want to hear the new part of our song?": "ミオ、 曲の 新しい所 聴きたい？",
    "Yes! Play it!": "うん！ 弾いて！",
    "It sounds warm. Like a spring morning.": "あったかい 音。 春の朝 みたい。",
    'It\'s called "Haru no Melody". The spring melody.': "曲名は 「春の メロディ」。",
    "Summer will come soon.": "もうすぐ 夏が来る。",
    "Let's go home. Breakfast!": "帰ろう。 朝ごはん！",
    "Race you!": "競走だよ！",
    "And the melody went on...": "そして メロディは 続いた…",
    "...far to the north, where someone was playing it too.": (
        "…遠い北の町で、 誰かも 弾いていた。"
    ),
    "The End": "おわり",
}


def translate(scenes: list[Scene]) -> list[Scene]:
    """The same scenes with every line in Japanese (KeyError names a missing line)."""
    out = []
    for scene in scenes:
        spreads = []
        for spread in scene.spreads:
            sides = []
            for panels in (spread.right, spread.left):
                sides.append(
                    [
                        replace(p, lines=tuple(replace(ln, text=JA[ln.text]) for ln in p.lines))
                        for p in panels
                    ]
                )
            spreads.append(Spread(right=sides[0], left=sides[1]))
        out.append(Scene(scene.mood, scene.tone, spreads))
    return out
