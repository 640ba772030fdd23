/*
 * demo.c: the demo data generator (see demo.h for what it holds).
 *
 * Time: each day gets a share of the records by weight (weekday x season x
 * growth x spike); inside a day the i-th of n records lands at the inverse
 * of the hourly profile's distribution at (i + u) / n, so times ascend with
 * no sorting and no memory. Customers, stores and texts come from tables and
 * a seeded xoshiro256** generator; duplicates come from a small ring of
 * recent records.
 */
#include "intake/demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "base/banned.h"

#define DAY_MS  (24 * 3600 * 1000LL)
#define ZONE_MS (8 * 3600 * 1000LL) /* demo data lives in China Standard Time */
#define N(a)    (sizeof(a) / sizeof((a)[0]))

/* ---- random numbers ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double rng_unit(struct rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static unsigned rng_below(struct rng *r, unsigned n)
{
    return (unsigned)(((rng_next(r) >> 32) * n) >> 32);
}

static bool chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* Picks an index by weight. */
static unsigned pick_weighted(struct rng *r, const unsigned char *w, size_t n)
{
    unsigned total = 0, x;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return (unsigned)i;
        x -= w[i];
    }
    return (unsigned)n - 1;
}

#define PICK(r, arr) ((arr)[rng_below((r), N(arr))])

/* ---- tables ---- */

enum { IND_ECOM, IND_BANK, IND_TEL, IND_RETAIL, IND_FOOD, IND_HOTEL, IND_N };
#define ALL  0x3f
#define B(i) (1u << (i))

static const char *const industries[IND_N] = {"电商", "银行", "电信", "零售", "餐饮", "酒店"};
static const unsigned char industry_w[IND_N] = {34, 16, 16, 12, 12, 10};

static const char *const products[IND_N][6] = {
    {"扫地机器人", "无线耳机", "空气炸锅", "羽绒服", "婴儿奶粉", "智能手表"},
    {"信用卡", "借记卡", "手机银行", "理财产品", "个人房贷", "ETC卡"},
    {"5G畅享套餐", "千兆宽带", "副卡业务", "国际漫游", "固定电话", "流量包"},
    {"会员卡", "生鲜水果", "日用百货", "进口零食", "家电以旧换新", "购物卡"},
    {"外卖套餐", "麻辣火锅", "奶茶", "儿童套餐", "生日蛋糕", "自助晚餐"},
    {"高级大床房", "行政套房", "自助早餐", "会员积分", "接机服务", "会议室"},
};

enum {
    CH_WEB,
    CH_QR,
    CH_APP,
    CH_EMAIL,
    CH_HOTLINE,
    CH_SMS,
    CH_STORE,
    CH_SURVEY,
    CH_ECOM,
    CH_SOCIAL,
    CH_PARTNER,
    CH_EMPLOYEE,
    CH_ASSOC,
    CH_IOT,
    CH_OTHER,
    CH_N
};
static const char *const channels[CH_N] = {
    "web",       "qr",     "app",     "email",    "hotline",     "sms", "store", "survey",
    "ecommerce", "social", "partner", "employee", "association", "iot", "other"};
static const char *const channel_prefix[CH_N] = {"WEB", "QR",   "APP",   "MAIL", "CALL",
                                                 "SMS", "CARD", "SV",    "EC",   "WB",
                                                 "PT",  "EMP",  "12315", "IOT",  "OT"};
/* channel weights per industry (e-commerce sells online, hotels get cards, ...) */
static const unsigned char channel_w[IND_N][CH_N] = {
    /* web qr app mail call sms store survey ecom social partner emp assoc iot other */
    {8, 2, 16, 4, 12, 2, 1, 4, 30, 8, 3, 1, 2, 6, 1},
    {8, 3, 20, 8, 30, 6, 8, 6, 0, 5, 1, 2, 2, 0, 1},
    {8, 2, 16, 4, 32, 10, 8, 6, 0, 7, 2, 2, 2, 1, 1},
    {6, 12, 10, 2, 10, 2, 24, 8, 6, 6, 3, 4, 2, 0, 1},
    {4, 22, 14, 1, 8, 2, 20, 6, 10, 8, 2, 2, 1, 0, 1},
    {8, 14, 12, 6, 12, 2, 18, 12, 4, 8, 2, 2, 1, 0, 1},
};

struct place {
    const char *region, *city, *store;
};
static const struct place places[] = {
    {"华东", "上海", "上海徐汇店"},         {"华东", "上海", "上海浦东店"},
    {"华东", "杭州", "杭州西湖店"},         {"华东", "南京", "南京新街口店"},
    {"华东", "苏州", "苏州园区店"},         {"华南", "广州", "广州天河店"},
    {"华南", "深圳", "深圳南山店"},         {"华南", "深圳", "深圳福田店"},
    {"华南", "厦门", "厦门思明店"},         {"华北", "北京", "北京朝阳店"},
    {"华北", "北京", "北京海淀店"},         {"华北", "天津", "天津和平店"},
    {"华北", "石家庄", "石家庄长安店"},     {"华中", "武汉", "武汉光谷店"},
    {"华中", "长沙", "长沙五一广场店"},     {"华中", "郑州", "郑州二七店"},
    {"西南", "成都", "成都春熙路店"},       {"西南", "重庆", "重庆解放碑店"},
    {"西南", "昆明", "昆明翠湖店"},         {"西北", "西安", "西安钟楼店"},
    {"西北", "兰州", "兰州西关店"},         {"东北", "沈阳", "沈阳中街店"},
    {"东北", "哈尔滨", "哈尔滨中央大街店"}, {"东北", "大连", "大连星海店"},
};
static const unsigned char place_w[N(places)] = {10, 9, 7, 6, 5, 8, 8, 6, 3, 9, 7, 4,
                                                 2,  5, 4, 3, 6, 5, 2, 4, 1, 3, 2, 2};

static const char *const id_areas[] = {"310104", "440305", "110105", "330106", "510107",
                                       "420111", "320102", "610113", "210102", "500103"};

/* A complaint category: its labels, the industries it occurs in and what people write. */
struct category {
    const char *l1, *l2;
    unsigned industries;
    unsigned char weight;
    unsigned char severity; /* 0 low .. 3 critical: the usual weight */
    const char *problems[4];
};

/*
 * Slots in problem texts: $p product, $o order number, $d a number of days,
 * $a an amount of money, $s the store, $c the city, $h an hour count.
 */
static const struct category categories[] = {
    {"物流配送",
     "快递延误",
     B(IND_ECOM) | B(IND_RETAIL) | B(IND_FOOD),
     10,
     1,
     {"订单$o买的$p，说好三天到，现在已经$d天了还没收到，物流信息一直不更新。",
      "$p的快递在中转站停了$d天，问客服只会说再等等。",
      "外卖下单后等了$h个多小时才送到，饭菜全凉了。",
      "双十一买的$p到现在都没发货，页面显示已揽收但$d天没有动静。"}},
    {"物流配送",
     "包裹丢失",
     B(IND_ECOM) | B(IND_RETAIL),
     4,
     2,
     {"物流显示$p已签收，但我根本没有收到，快递员电话也打不通。",
      "订单$o的包裹丢了，快递公司和商家互相推脱，谁都不管。",
      "$p的包裹被放在驿站丢失了，要求赔偿却一直拖着。", NULL}},
    {"物流配送",
     "商品破损",
     B(IND_ECOM) | B(IND_RETAIL) | B(IND_FOOD),
     4,
     1,
     {"收到的$p外包装压坏了，里面的东西也摔坏了。", "$p送到时已经破损漏液，拍照给客服也不处理。",
      "生日蛋糕送到时完全压扁了，孩子的生日都被毁了。", NULL}},
    {"产品质量",
     "功能故障",
     B(IND_ECOM) | B(IND_RETAIL),
     9,
     2,
     {"刚买$d天的$p就坏了，开机没反应，充电也充不进去。",
      "$p用了不到一个月就频繁死机重启，严重影响使用。",
      "$p噪音特别大，还有焦糊味，担心有安全隐患。",
      "$p连不上蓝牙，恢复出厂设置也没用，明显是质量问题。"}},
    {"产品质量",
     "与描述不符",
     B(IND_ECOM) | B(IND_RETAIL),
     5,
     1,
     {"$p实物和页面描述完全不一样，颜色尺寸都不对。",
      "宣传说$p续航一周，实际一天就没电了，属于虚假宣传。", "$p标注是正品，收到的明显是仿冒货。",
      NULL}},
    {"产品质量",
     "食品变质",
     B(IND_FOOD) | B(IND_RETAIL),
     4,
     3,
     {"买的$p已经发霉变质，吃了之后肚子疼了一晚上。",
      "$p里面吃出了头发和异物，太恶心了，卫生太差。",
      "$p过了保质期还在卖，孩子吃了上吐下泻去了医院。", NULL}},
    {"服务态度",
     "态度恶劣",
     ALL,
     8,
     1,
     {"$s的店员态度非常差，问两句就不耐烦，还对我翻白眼。",
      "客服说话阴阳怪气，直接挂我电话，这是什么服务态度？",
      "前台工作人员对客人大声呵斥，完全没有服务意识。",
      "经理不但不道歉还威胁我，说爱去哪投诉去哪投诉。"}},
    {"服务态度",
     "推诿扯皮",
     ALL,
     6,
     1,
     {"为了$p的问题打了$d次电话，每次都说转给相关部门，然后就没有下文了。",
      "门店让我找客服，客服让我找门店，来回踢皮球。", "承诺$h小时内回电，等了$d天也没人联系我。",
      NULL}},
    {"退换货",
     "退款未到账",
     B(IND_ECOM) | B(IND_RETAIL) | B(IND_FOOD) | B(IND_HOTEL),
     7,
     1,
     {"订单$o申请退款$d天了，$a元到现在还没有到账。",
      "退货已经寄回并签收，商家一直不给退款，说还在审核。",
      "取消预订后说好原路退回$a元，到现在都没看到钱。", NULL}},
    {"退换货",
     "退货被拒",
     B(IND_ECOM) | B(IND_RETAIL),
     4,
     1,
     {"$p七天无理由退货被拒，理由是包装拆了，这不合理。",
      "$p有质量问题申请换货，商家说人为损坏拒绝处理。", NULL, NULL}},
    {"价格收费",
     "乱收费",
     B(IND_BANK) | B(IND_TEL) | B(IND_HOTEL) | B(IND_FOOD),
     6,
     1,
     {"$p莫名其妙被扣了$a元，我从来没有开通过这个业务。",
      "账单里多了一笔$a元的服务费，没有任何提前告知。",
      "退房时被多收了$a元的迷你吧费用，我根本没用过。",
      "餐厅收了$a元的茶位费和纸巾费，事先完全没说。"}},
    {"价格收费",
     "优惠未兑现",
     B(IND_ECOM) | B(IND_TEL) | B(IND_RETAIL),
     4,
     0,
     {"活动页面写的满减优惠结算时没有生效，多付了$a元。",
      "办理$p时承诺的话费返还$d个月了都没有到账。",
      "会员积分兑换的优惠券不能用，说活动已经结束了。", NULL}},
    {"账户与支付",
     "扣款异常",
     B(IND_BANK) | B(IND_ECOM),
     5,
     2,
     {"我的$p被重复扣款$a元，客服说系统正常让我等着。",
      "$p出现一笔$a元的陌生交易，怀疑被盗刷，冻结卡片也很慢。",
      "付款显示失败但钱已经扣了，订单$o也没有生成。", NULL}},
    {"账户与支付",
     "账户冻结",
     B(IND_BANK),
     3,
     2,
     {"$p被无故冻结，工资发不出去，去网点也解决不了。",
      "手机银行突然限制转账，要求我去柜台，但柜台说要等$d个工作日。", NULL, NULL}},
    {"网络信号",
     "信号差",
     B(IND_TEL),
     6,
     1,
     {"家里的手机信号一直只有一格，打电话经常断线，$c这边很多人都这样。",
      "办了$p之后网速特别慢，看视频一直卡。", "地铁里完全没信号，反映过$d次都没有改善。", NULL}},
    {"网络信号",
     "宽带断网",
     B(IND_TEL),
     4,
     2,
     {"$p已经断网$d天了，报修后师傅一直不上门，我在家办公受影响。",
      "宽带每天晚上都掉线，重启光猫也没用。", NULL, NULL}},
    {"系统故障",
     "APP异常",
     B(IND_ECOM) | B(IND_BANK) | B(IND_TEL) | B(IND_FOOD),
     5,
     1,
     {"APP升级后一直闪退，没法下单也没法查看订单$o。",
      "手机银行登录一直提示系统繁忙，已经$d天了，着急转账用不了。",
      "APP里的优惠券领了就消失，页面一直转圈。", NULL}},
    {"营销骚扰",
     "骚扰电话",
     B(IND_BANK) | B(IND_TEL) | B(IND_ECOM),
     3,
     0,
     {"一天接到$d个推销$p的电话，已经说过不需要了还一直打。",
      "每天收到大量营销短信，退订回复了也没用。", NULL, NULL}},
    {"排队等候",
     "等待时间长",
     B(IND_BANK) | B(IND_FOOD) | B(IND_HOTEL) | B(IND_RETAIL),
     4,
     0,
     {"在$s排队等了$h个多小时，只开一个窗口。", "入住办理等了$h个小时，房间还没打扫好。",
      "取号后等了很久，叫号系统还出错跳号。", NULL}},
    {"环境卫生",
     "卫生差",
     B(IND_HOTEL) | B(IND_FOOD) | B(IND_RETAIL),
     4,
     1,
     {"房间床单上有污渍和头发，卫生间有异味。", "$s的桌子油腻腻的，地上到处是垃圾。",
      "房间里发现了蟑螂，换房也没有任何补偿。", NULL}},
    {"安全隐患",
     "人身安全",
     ALL,
     1,
     3,
     {"$s门口地面湿滑没有警示牌，我老人摔倒骨折住院了。",
      "$p充电时突然冒烟起火，差点烧了房子，必须给个说法！",
      "酒店房门锁坏了，半夜有人试图开门，非常害怕。", NULL}},
};

#define SPIKE_CATEGORY 0 /* 物流配送/快递延误 */

/* Categories whose texts only fit some products. */
static const struct {
    const char *l2;
    const char *products[4];
} fitting[] = {
    {"功能故障", {"扫地机器人", "无线耳机", "空气炸锅", "智能手表"}},
    {"与描述不符", {"羽绒服", "智能手表", "无线耳机", "进口零食"}},
    {"食品变质", {"婴儿奶粉", "生鲜水果", "进口零食", "外卖套餐"}},
    {"商品破损", {"空气炸锅", "生日蛋糕", "生鲜水果", "扫地机器人"}},
    {"包裹丢失", {"无线耳机", "羽绒服", "智能手表", "日用百货"}},
    {"退货被拒", {"羽绒服", "无线耳机", "扫地机器人", "智能手表"}},
    {"信号差", {"5G畅享套餐", "副卡业务", "流量包", "国际漫游"}},
    {"宽带断网", {"千兆宽带", "千兆宽带", "固定电话", "千兆宽带"}},
    {"账户冻结", {"借记卡", "手机银行", "信用卡", "借记卡"}},
    {"扣款异常", {"信用卡", "借记卡", "手机银行", "ETC卡"}},
};

static const char *const openings[] = {"",           "",
                                       "",           "你好，",
                                       "您好，",     "投诉：",
                                       "我要投诉！", "反映一个问题：",
                                       "客服你好，", "麻烦处理一下，"};
static const char *const demands[] = {"",
                                      "",
                                      "请尽快处理。",
                                      "希望给个合理的解释。",
                                      "要求退款并赔偿损失。",
                                      "请尽快给我回电。",
                                      "希望公司重视这个问题。",
                                      "再不解决我就去消协投诉了。",
                                      "要求换货。",
                                      "请给个处理时限。"};
static const char *const angry[] = {"太气人了！", "简直无语！！！",     "非常失望。",
                                    "忍无可忍！", "这是欺负消费者吗？", "我要曝光你们！"};
static const char *const praise[] = {"其他方面还可以，就是这个问题希望改进。",
                                     "之前一直很满意，这次体验比较差。",
                                     "店员小王态度很好，点赞。"};
static const char *const segments[] = {"普通会员", "普通会员", "普通会员", "银卡会员",
                                       "金卡会员", "钻石会员", "企业客户"};
static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                       "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"};
static const char *const given[] = {
    "伟", "芳", "娜", "敏",   "静",   "强", "磊",   "军",   "洋",   "勇", "艳", "杰",   "娟",
    "涛", "明", "超", "秀英", "建国", "丽", "海燕", "志强", "晓东", "雪", "婷", "浩然", "子涵"};
static const char *const mail_hosts[] = {"qq.com",   "163.com",   "126.com",
                                         "sina.com", "gmail.com", "outlook.com"};
static const char *const fault_codes[] = {"E01 电机过流", "E07 电池温度过高", "E12 传感器失效",
                                          "E21 通信中断", "E33 充电异常"};

/* simplified -> traditional pairs, for the texts customers write in traditional script */
static const char trad_pairs[] =
    "这這个個们們说說时時间間问問题題务務员員电電话話车車买買卖賣货貨单單钱錢还還给給没沒"
    "发發现現质質东東让讓经經过過后後处處网網络絡号號码碼应應该該对對实實际際关關门門开開"
    "费費银銀账賬户戶态態贵貴坏壞专專业業从從来來长長难難为為样樣办辦请請谢謝认認识識觉覺"
    "诉訴务務况況动動无無购購订訂库庫运運递遞丢丟损損坏壞态態网網线線机機头頭脑腦饭飯"
    "后後场場页頁面麵则則视視频頻卡卡欢歡总總结結阴陰阳陽气氣礼禮导導药藥医醫";

/* ---- one generator run ---- */

#define RING 32

struct recent {
    char *text, *ext;
    unsigned customer, cat;
    int64_t at;
};

struct gen {
    const struct demo_opts *o;
    struct rng rng;
    uint64_t tag; /* mixes the seed into external ids */
    unsigned ncustomers;
    long seq;
    struct recent ring[RING];
    size_t nring;
    struct strbuf text, sb;
    double hour_cum[25]; /* the hourly profile's distribution */
};

struct customer {
    unsigned idx;
    char id[16], name[16], phone[16], email[48];
    const char *segment;
    unsigned place;
    unsigned industry_bias;
};

static uint64_t hash64(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ b;
    return splitmix(&x);
}

static void make_customer(struct gen *g, unsigned idx, struct customer *c)
{
    struct rng r;
    rng_seed(&r, hash64(g->o->seed, idx));
    c->idx = idx;
    snprintf(c->id, sizeof c->id, "C%08u", idx);
    snprintf(c->name, sizeof c->name, "%s%s", PICK(&r, surnames), PICK(&r, given));
    static const char *const mobile[] = {"13", "15", "17", "18", "19", "16"};
    snprintf(c->phone, sizeof c->phone, "%s%u%08u", PICK(&r, mobile), 1 + rng_below(&r, 9),
             rng_below(&r, 100000000));
    snprintf(c->email, sizeof c->email, "user%u_%02u@%s", idx, rng_below(&r, 100),
             PICK(&r, mail_hosts));
    c->segment = PICK(&r, segments);
    c->place = pick_weighted(&r, place_w, N(places));
    c->industry_bias = rng_below(&r, IND_N);
}

/* A customer: a few frequent complainers, a long tail of one-time ones. */
static unsigned pick_customer(struct gen *g)
{
    unsigned frequent = g->ncustomers / 50 + 1;
    if (chance(&g->rng, 0.15))
        return rng_below(&g->rng, frequent);
    return rng_below(&g->rng, g->ncustomers);
}

static void add_id_number(struct gen *g, struct strbuf *sb)
{
    static const int wt[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    char id[19];
    int sum = 0;
    snprintf(id, sizeof id, "%s%04u%02u%02u%03u", PICK(&g->rng, id_areas),
             1955 + rng_below(&g->rng, 50), 1 + rng_below(&g->rng, 12), 1 + rng_below(&g->rng, 28),
             rng_below(&g->rng, 1000));
    for (int i = 0; i < 17; i++)
        sum += (id[i] - '0') * wt[i];
    id[17] = "10X98765432"[sum % 11];
    id[18] = 0;
    strbuf_addstr(sb, id);
}

static void add_bank_card(struct gen *g, struct strbuf *sb)
{
    char card[20];
    int sum = 0;
    memcpy(card, "622848", 6);
    for (int i = 6; i < 18; i++)
        card[i] = (char)('0' + rng_below(&g->rng, 10));
    for (int i = 17, dbl = 1; i >= 0; i--, dbl = !dbl) { /* Luhn check digit */
        int d = (card[i] - '0') * (dbl ? 2 : 1);
        sum += d > 9 ? d - 9 : d;
    }
    card[18] = (char)('0' + (10 - sum % 10) % 10);
    card[19] = 0;
    strbuf_addstr(sb, card);
}

static void expand(struct gen *g, struct strbuf *sb, const char *tpl, const char *product,
                   const char *order, const struct place *pl)
{
    for (const char *p = tpl; *p; p++) {
        if (*p != '$' || !p[1]) {
            strbuf_addch(sb, *p);
            continue;
        }
        switch (*++p) {
        case 'p':
            strbuf_addstr(sb, product);
            break;
        case 'o':
            strbuf_addstr(sb, order ? order : "");
            break;
        case 'd':
            strbuf_addf(sb, "%u", 2 + rng_below(&g->rng, 14));
            break;
        case 'h':
            strbuf_addf(sb, "%u", 1 + rng_below(&g->rng, 3));
            break;
        case 'a':
            strbuf_addf(sb, "%u", (5 + rng_below(&g->rng, 400)) * 5);
            break;
        case 's':
            strbuf_addstr(sb, pl->store);
            break;
        case 'c':
            strbuf_addstr(sb, pl->city);
            break;
        default:
            strbuf_addch(sb, *p);
        }
    }
}

/* Rewrites text in traditional characters where the pair table knows them. */
static void to_traditional(struct strbuf *text, struct strbuf *tmp)
{
    strbuf_reset(tmp);
    for (size_t i = 0; i < text->len;) {
        size_t n = (text->buf[i] & 0x80) ? ((text->buf[i] & 0xe0) == 0xc0   ? 2
                                            : (text->buf[i] & 0xf0) == 0xe0 ? 3
                                                                            : 4)
                                         : 1;
        const char *hit = NULL;
        if (n == 3) {
            for (size_t k = 0; k + 6 <= sizeof trad_pairs - 1; k += 6)
                if (memcmp(trad_pairs + k, text->buf + i, 3) == 0) {
                    hit = trad_pairs + k + 3;
                    break;
                }
        }
        strbuf_add(tmp, hit ? hit : text->buf + i, n);
        i += n;
    }
    strbuf_reset(text);
    strbuf_add(text, tmp->buf, tmp->len);
}

static void to_html(struct gen *g, struct strbuf *text, struct strbuf *tmp)
{
    strbuf_reset(tmp);
    strbuf_addstr(tmp, chance(&g->rng, 0.5) ? "<div class=\"msg\"><p>" : "<p><b>客户留言</b>：");
    strbuf_add(tmp, text->buf, text->len);
    strbuf_addstr(tmp, "</p><br/>&nbsp;&nbsp;<span style=\"color:#999\">来自&lt;手机客户端&gt;"
                       " &amp; 微信</span>");
    if (tmp->buf[1] == 'd')
        strbuf_addstr(tmp, "</div>");
    strbuf_reset(text);
    strbuf_add(text, tmp->buf, tmp->len);
}

/* Makes a near copy: a prefix, a changed ending or doubled punctuation. */
static void near_copy(struct gen *g, struct strbuf *text, const char *src)
{
    static const char *const pre[] = {"再次反映：", "第二次投诉，", "补充一下：", ""};
    static const char *const post[] = {"急！", "请尽快！！", "谢谢。", "到底什么时候处理？"};
    size_t len = strlen(src);
    strbuf_reset(text);
    strbuf_addstr(text, PICK(&g->rng, pre));
    if (len > 3 && memcmp(src + len - 3, "。", 3) == 0)
        len -= 3;
    strbuf_add(text, src, len);
    strbuf_addstr(text, chance(&g->rng, 0.5) ? "，" : "！");
    strbuf_addstr(text, PICK(&g->rng, post));
}

static void remember(struct gen *g, const struct record *r, unsigned customer, unsigned cat)
{
    struct recent *slot = &g->ring[g->seq % RING];
    free(slot->text);
    free(slot->ext);
    slot->text = xstrdup(r->text);
    slot->ext = xstrdup(r->external_id);
    slot->customer = customer;
    slot->cat = cat;
    slot->at = r->received_at;
    if (g->nring < RING)
        g->nring++;
}

static const char *const sev_names[] = {"low", "medium", "high", "critical"};

static int emit(struct gen *g, int64_t at, bool spike_day, demo_cb cb, void *arg)
{
    struct rng *R = &g->rng;
    struct record r;
    struct customer c;
    struct strbuf *t = &g->text;
    char buf[64], order[32];
    const char *dup = NULL, *dup_of = NULL;
    unsigned ind, ch, cat, ci, sev;
    const char *product;
    const struct place *pl;
    int rc;

    record_init(&r);
    r.received_at = at;
    ci = pick_customer(g);
    make_customer(g, ci, &c);
    ind = chance(R, 0.4) ? c.industry_bias : pick_weighted(R, industry_w, IND_N);

    /* the category: the spike first, then by weight among those of the industry */
    if (spike_day && chance(R, 0.55)) {
        cat = SPIKE_CATEGORY;
        ind = IND_ECOM;
    } else {
        unsigned char w[N(categories)];
        for (size_t i = 0; i < N(categories); i++)
            w[i] = (categories[i].industries & B(ind)) ? categories[i].weight : 0;
        cat = pick_weighted(R, w, N(categories));
    }
    const struct category *k = &categories[cat];
    ch = pick_weighted(R, channel_w[ind], CH_N);
    if (ch == CH_IOT)
        ind = IND_ECOM;
    product = products[ind][rng_below(R, 6)];
    /* products the complaint can be about: no Bluetooth in milk powder */
    for (size_t i = 0; i < N(fitting); i++)
        if (strcmp(fitting[i].l2, k->l2) == 0) {
            product = fitting[i].products[rng_below(R, 4)];
            break;
        }
    pl = chance(R, 0.7) ? &places[c.place] : &places[pick_weighted(R, place_w, N(places))];
    sev = k->severity;
    if (chance(R, 0.25))
        sev = sev < 3 && chance(R, 0.6) ? sev + 1 : (sev > 0 ? sev - 1 : 0);

    order[0] = 0;
    if (ind == IND_ECOM || ind == IND_RETAIL || ind == IND_FOOD) {
        char day[CLOCK_FMT_MAX];
        clock_format(at, day);
        snprintf(order, sizeof order, "E%.4s%.2s%.2s%06u", day, day + 5, day + 8,
                 rng_below(R, 1000000));
    }

    /* the text: a duplicate of a recent record, or composed */
    struct recent *src =
        g->nring ? &g->ring[(g->seq - 1 - rng_below(R, (unsigned)g->nring)) % RING] : NULL;
    /* a duplicate fills no slot of the ring (remember), so before the ring has gone round
     * once the pick can land on an empty one: then this record is no duplicate */
    if (src && !src->text)
        src = NULL;
    double roll = rng_unit(R);
    if (src && roll < 0.015) {
        dup = "exact";
        strbuf_reset(t);
        strbuf_addstr(t, src->text);
    } else if (src && roll < 0.035) {
        dup = "near";
        near_copy(g, t, src->text);
    }
    if (dup) {
        dup_of = src->ext;
        ci = src->customer;
        make_customer(g, ci, &c);
        cat = src->cat;
        k = &categories[cat];
    } else {
        const char *prob;
        strbuf_reset(t);
        if (ch == CH_IOT) {
            strbuf_addf(t, "设备SN%08X（%s）上报故障码%s，%u分钟内重复%u次。",
                        rng_below(R, 1u << 31), product, PICK(R, fault_codes), 5 + rng_below(R, 55),
                        2 + rng_below(R, 8));
            cat = 3; /* 产品质量/功能故障 */
            k = &categories[cat];
            sev = 2;
        } else {
            strbuf_addstr(t, PICK(R, openings));
            do
                prob = k->problems[rng_below(R, 4)];
            while (!prob);
            expand(g, t, prob, product, order[0] ? order : NULL, pl);
            if (chance(R, 0.3)) {
                do
                    prob = k->problems[rng_below(R, 4)];
                while (!prob);
                strbuf_addstr(t, "而且");
                expand(g, t, prob, product, order[0] ? order : NULL, pl);
            }
            double pii = rng_unit(R);
            if (pii < 0.12)
                strbuf_addf(t, "我的电话是%s，", c.phone);
            else if (pii < 0.16)
                strbuf_addf(t, "联系我%s-%s。", "138", c.phone + 3);
            else if (pii < 0.19) {
                strbuf_addstr(t, "我的身份证号");
                add_id_number(g, t);
                strbuf_addstr(t, "，");
            } else if (pii < 0.21) {
                strbuf_addstr(t, "卡号");
                add_bank_card(g, t);
                strbuf_addstr(t, "，");
            } else if (pii < 0.25)
                strbuf_addf(t, "邮箱%s。", c.email);
            strbuf_addstr(t, PICK(R, demands));
            if (sev >= 2 && chance(R, 0.5))
                strbuf_addstr(t, PICK(R, angry));
            else if (sev == 0 && chance(R, 0.3))
                strbuf_addstr(t, PICK(R, praise));
            if (chance(R, 0.04))
                to_traditional(t, &g->sb);
            if ((ch == CH_WEB || ch == CH_EMAIL || ch == CH_ECOM || ch == CH_SOCIAL) &&
                chance(R, 0.12))
                to_html(g, t, &g->sb);
        }
    }

    r.channel = xstrdup(channels[ch]);
    if (ch == CH_EMAIL)
        snprintf(buf, sizeof buf, "<%016llx.%ld@mail.kesu-demo.cn>", (unsigned long long)g->tag,
                 g->seq);
    else
        snprintf(buf, sizeof buf, "%s-%08llx-%08ld", channel_prefix[ch],
                 (unsigned long long)(g->tag & 0xffffffffu), g->seq);
    r.external_id = xstrdup(buf);
    r.text = xstrndup(t->buf, t->len);
    r.customer_id = xstrdup(c.id);
    if (ch != CH_IOT && ch != CH_SOCIAL && ch != CH_ECOM)
        r.customer_name = xstrdup(c.name);
    if (ch == CH_HOTLINE || ch == CH_SMS || ch == CH_WEB || ch == CH_QR || ch == CH_APP)
        r.phone = xstrdup(c.phone);
    if (ch == CH_EMAIL || chance(R, 0.1))
        r.email = xstrdup(c.email);
    r.customer_segment = xstrdup(c.segment);
    r.product = xstrdup(product);
    if (order[0])
        r.order_no = xstrdup(order);
    if (ch == CH_STORE || ch == CH_QR || ind == IND_FOOD || ind == IND_HOTEL || ind == IND_RETAIL ||
        ind == IND_BANK)
        r.store = xstrdup(pl->store);
    r.region = xstrdup(pl->region);
    if (ch == CH_ECOM || ch == CH_APP || ch == CH_STORE || (ch == CH_QR && chance(R, 0.7))) {
        r.rating_scale = 5;
        r.rating = sev >= 2 ? 1 : (double)(1 + rng_below(R, sev == 0 ? 4 : 2));
    } else if (ch == CH_SURVEY) {
        r.rating_scale = 10;
        r.rating = (double)rng_below(R, sev >= 2 ? 3 : 7);
    }
    if (ch == CH_EMAIL || ch == CH_WEB || ch == CH_ASSOC) {
        snprintf(buf, sizeof buf, "关于%s的投诉", ch == CH_WEB ? k->l2 : product);
        r.title = xstrdup(buf);
    }
    if ((ch == CH_APP || ch == CH_ECOM || ch == CH_WEB || ch == CH_QR) && chance(R, 0.08)) {
        strbuf_reset(&g->sb);
        strbuf_addf(&g->sb, "[{\"name\":\"photo_%ld.jpg\",\"type\":\"image/jpeg\",\"size\":%u}]",
                    g->seq, 40000 + rng_below(R, 3000000));
        r.attachments = xstrndup(g->sb.buf, g->sb.len);
    }

    struct jsonw w;
    strbuf_reset(&g->sb);
    jsonw_init(&w, &g->sb);
    jsonw_obj(&w);
    snprintf(buf, sizeof buf, "%s/%s", k->l1, k->l2);
    jsonw_kstr(&w, "demo_category", buf);
    jsonw_kstr(&w, "demo_severity", sev_names[sev]);
    jsonw_kstr(&w, "industry", industries[ind]);
    if (dup) {
        jsonw_kstr(&w, "demo_dup", dup);
        jsonw_kstr(&w, "demo_dup_of", dup_of);
    }
    jsonw_end(&w);
    r.extra = xstrndup(g->sb.buf, g->sb.len);

    if (!dup)
        remember(g, &r, ci, cat);
    g->seq++;
    rc = cb(arg, &r);
    record_release(&r);
    return rc;
}

/* ---- the calendar ---- */

static int64_t day_start(const struct demo_opts *o)
{
    int64_t end = o->end_ms;
    if (!end) {
        int64_t now = clock_now_ms();
        end = (now + ZONE_MS) / DAY_MS * DAY_MS - ZONE_MS;
    }
    return end - (int64_t)(o->days ? o->days : 365) * DAY_MS;
}

int64_t demo_spike_start(const struct demo_opts *o, int *ndays)
{
    int days = o->days ? o->days : 365;
    int len = days >= 60 ? 7 : days >= 14 ? 3 : 1;
    if (ndays)
        *ndays = len;
    return day_start(o) + (int64_t)(days * 7 / 10) * DAY_MS;
}

static double day_weight(int64_t start_ms, int d, int days, int spike_d, int spike_len)
{
    static const double weekday[7] = {1.15, 1.05, 1.0, 1.0, 0.95, 0.8, 0.75}; /* Mon..Sun */
    int64_t t = start_ms + (int64_t)d * DAY_MS + ZONE_MS;
    int64_t epoch_day = t / DAY_MS;
    int dow = (int)((epoch_day + 3) % 7); /* 1970-01-01 was a Thursday */
    /* day of year, roughly: the season rises towards November (shopping festivals) and the
     * Spring Festival in late January / February */
    int doy = (int)((epoch_day % 1461) % 365);
    double season =
        1 + 0.25 * exp(-pow((doy - 315) / 12.0, 2)) + 0.15 * exp(-pow((doy - 35) / 15.0, 2));
    double w = weekday[dow] * season * (1 + 0.3 * d / (double)days);
    if (d >= spike_d && d < spike_d + spike_len)
        w *= 2.2;
    return w;
}

/* Hour-of-day profile: quiet nights, peaks late morning, afternoon and evening. */
static const double hour_w[24] = {0.4, 0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.4, 1.7, 1.6,
                                  1.3, 1.3,  1.5,  1.6, 1.5, 1.3,  1.2, 1.3, 1.5, 1.6, 1.2, 0.7};

/* The time of day at which a fraction u of the day's records have arrived. */
static int64_t intraday(const double cum[25], double u)
{
    int h = 0;
    while (h < 23 && cum[h + 1] <= u)
        h++;
    double f = (u - cum[h]) / (cum[h + 1] - cum[h]);
    if (f < 0)
        f = 0;
    if (f >= 1)
        f = 0.999999;
    return (int64_t)((h + f) * 3600000.0);
}

int demo_generate(const struct demo_opts *o, demo_cb cb, void *arg)
{
    struct gen *g = xcalloc(1, sizeof(*g));
    int days = o->days ? o->days : 365, spike_len, rc = 0;
    int64_t start = day_start(o);
    int spike_d = (int)((demo_spike_start(o, &spike_len) - start) / DAY_MS);
    double total = 0, cum = 0;
    long done = 0;

    g->o = o;
    rng_seed(&g->rng, o->seed);
    g->tag = hash64(o->seed, 0x6b657375);
    g->ncustomers = (unsigned)(o->count / 3 > 50 ? o->count / 3 : 50);
    strbuf_init(&g->text, 512);
    strbuf_init(&g->sb, 512);
    for (int h = 0; h < 24; h++)
        total += hour_w[h];
    for (int h = 0; h < 24; h++)
        g->hour_cum[h + 1] = g->hour_cum[h] + hour_w[h] / total;
    total = 0;

    for (int d = 0; d < days; d++)
        total += day_weight(start, d, days, spike_d, spike_len);
    for (int d = 0; d < days && !rc; d++) {
        cum += day_weight(start, d, days, spike_d, spike_len);
        long upto = d == days - 1 ? o->count : (long)llround(o->count * (cum / total));
        long n = upto - done;
        bool spike = d >= spike_d && d < spike_d + spike_len;
        for (long i = 0; i < n && !rc; i++) {
            double u = (i + rng_unit(&g->rng)) / (double)n;
            rc = emit(g, start + (int64_t)d * DAY_MS + intraday(g->hour_cum, u), spike, cb, arg);
        }
        done = upto;
    }
    for (size_t i = 0; i < RING; i++) {
        free(g->ring[i].text);
        free(g->ring[i].ext);
    }
    strbuf_release(&g->text);
    strbuf_release(&g->sb);
    free(g);
    return rc;
}
