"""Vietnamese name pools, with diacritics, weighted roughly as the population's surnames are."""

from __future__ import annotations

# (surname, weight %): the common surnames cover most of the population.
SURNAMES = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 4), ("Võ", 4), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
    ("Ngô", 2), ("Dương", 1), ("Lý", 1),
)
MIDDLE_MALE = ("Văn", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Công", "Xuân", "Đình", "Ngọc")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Mỹ", "Bích", "Phương")
GIVEN_MALE = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Khoa", "Long",
    "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Trung", "Tuấn",
    "Việt", "Vinh", "Đông", "Lộc", "Toàn", "Hưng", "Kiên",
)
GIVEN_FEMALE = (
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Loan",
    "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phượng", "Quyên", "Thảo", "Trang", "Tuyết",
    "Uyên", "Vân", "Yến", "Hiền", "Thủy", "Diệp", "Nhi",
)
JOBS = (
    "Công nhân may", "Công nhân lắp ráp", "Kế toán viên", "Nhân viên kinh doanh", "Kỹ sư phần mềm",
    "Lái xe", "Thợ hàn", "Nhân viên hành chính", "Giáo viên", "Điều dưỡng", "Bảo vệ",
    "Nhân viên kho", "Kỹ thuật viên điện", "Trưởng phòng nhân sự", "Thợ cơ khí", "Đầu bếp",
)
COMPANY_KINDS = ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Hợp tác xã")
COMPANY_WORDS = (
    "Sông Hồng", "Phương Nam", "Bình Minh", "Hưng Thịnh", "Tân Phát", "Thành Công", "Đại Việt",
    "Hoàng Long", "Minh Phát", "An Khang", "Việt Tiến", "Trường Sơn", "Hòa Bình", "Sao Mai",
    "Cửu Long", "Lam Sơn", "Phú Cường", "Đông Á", "Kim Ngân", "Thiên Ân",
)
INDUSTRIES = (
    ("May mặc", 50), ("Điện tử", 50), ("Xây dựng", 30), ("Vận tải", 50), ("Thương mại", 50),
    ("Phần mềm", 50), ("Cơ khí", 30), ("Thực phẩm", 50), ("Khai khoáng", 30), ("Giáo dục", 50),
)
STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt",
           "Phan Chu Trinh", "Điện Biên Phủ", "Hùng Vương", "Nguyễn Huệ")
# (ethnicity, weight ‰), roughly the 2019 census shares of the largest groups.
ETHNICITIES = (
    ("Kinh", 853), ("Tày", 19), ("Thái", 19), ("Mường", 15), ("H'Mông", 15), ("Khmer", 13),
    ("Nùng", 11), ("Dao", 9), ("Hoa", 8), ("Gia Rai", 5), ("Ê Đê", 4), ("Ba Na", 3),
)
